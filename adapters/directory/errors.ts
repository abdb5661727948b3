export type DirectoryErrorCode =
  /** The directory (folder) is missing or cannot be read. */
  | 'DIRECTORY_UNREADABLE'
  /** The location is neither a path nor a `file:` URL. */
  | 'UNSUPPORTED_LOCATION'
  /** An address's file holds no certificate or a broken one. */
  | 'BAD_CERTIFICATE_FILE'
  /** Two files name the same address in different spellings. */
  | 'DUPLICATE_ADDRESS'
  /** Publishing: the address is not a KIM address. */
  | 'INVALID_ADDRESS'
  /** Publishing: a certificate is not DER X.509, or none was given. */
  | 'INVALID_CERTIFICATE';

/** The certificate directory cannot answer. One-line message naming the file or folder. */
export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    /** The file or folder concerned. */
    readonly path?: string,
  ) {
    super(message);
  }
}
