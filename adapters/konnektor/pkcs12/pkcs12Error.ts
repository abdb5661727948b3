export type Pkcs12ErrorKind =
  /** A format or algorithm this reader does not handle. */
  | 'UNSUPPORTED'
  /** The password is missing or wrong (MAC mismatch, bad padding). */
  | 'PASSWORD'
  /** The structure is broken. */
  | 'MALFORMED';

/** A PKCS#12 file cannot be read; the reader turns it into a KonnektorError naming the file. */
export class Pkcs12Error extends Error {
  override readonly name = 'Pkcs12Error';
  constructor(
    readonly kind: Pkcs12ErrorKind,
    message: string,
  ) {
    super(message);
  }
}
