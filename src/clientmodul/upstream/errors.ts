/**
 * Why talking to the Fachdienst failed. The proxies map these codes to replies in one place each
 * (SMTP 454/451/421, POP3 `-ERR [SYS/TEMP]`).
 */
export type UpstreamErrorCode =
  /** No TCP connection (refused, unreachable, DNS). */
  | 'UNREACHABLE'
  /** TCP connected, the TLS handshake or the certificate check failed. */
  | 'TLS'
  /** No answer within the configured time. */
  | 'TIMEOUT'
  /** The connection ended while an answer was expected. */
  | 'CLOSED'
  /** An answer that does not follow the protocol. */
  | 'PROTOCOL'
  /** A message larger than the Clientmodul is configured to hold. */
  | 'TOO_LARGE';

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
