/** TLS material is missing, unreadable, malformed, mismatched or not currently valid. One-line message. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  readonly code = 'TLS_CONFIG';
  constructor(
    message: string,
    /** The file concerned, when the problem is about one file. */
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type DevPkiErrorCode =
  /** The output directory already holds a CA key and `force` was not given. */
  | 'PKI_EXISTS'
  /** A domain, host name or IP address is not acceptable. */
  | 'PKI_INVALID_NAME';

/** The development PKI could not be created. One-line message. */
export class DevPkiError extends Error {
  override readonly name = 'DevPkiError';
  constructor(
    readonly code: DevPkiErrorCode,
    message: string,
  ) {
    super(message);
  }
}
