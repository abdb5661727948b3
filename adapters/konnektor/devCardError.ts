export type DevCardErrorCode =
  /** The Telematik-ID, name or password is not acceptable (bad usage). */
  | 'CARD_INVALID_INPUT'
  /** The PKI directory holds no development root CA (`kim pki init` first). */
  | 'PKI_MISSING'
  /** The PKI directory's CA files are unreadable or do not belong together. */
  | 'PKI_INVALID'
  /** The output directory already holds a card and `force` was not given. */
  | 'CARD_EXISTS';

/** A development card could not be issued. One-line message. */
export class DevCardError extends Error {
  override readonly name = 'DevCardError';
  constructor(
    readonly code: DevCardErrorCode,
    message: string,
  ) {
    super(message);
  }
}
