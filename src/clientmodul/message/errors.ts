/** Errors of the KIM message pipeline that are not the CMS codec's or the Konnektor's. */
export type KimMessageErrorCode =
  /** The caller passed something unusable (versions, lifetime, a recipient without certificates). */
  | 'INVALID_ARGUMENT'
  /** The client mail cannot be processed (its header block is too large). */
  | 'INVALID_MAIL'
  /** The client mail, read twice while it was sealed, was not the same both times (its file changed). */
  | 'MAIL_CHANGED'
  /** The Konnektor's card offers no encryption certificate for the sender's copy (→ SMTP 553). */
  | 'SENDER_WITHOUT_CERTIFICATE';

export class KimMessageError extends Error {
  override readonly name = 'KimMessageError';
  constructor(
    readonly code: KimMessageErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
