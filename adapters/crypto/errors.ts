/**
 * Errors of the CMS codec. The codes are chosen so the Clientmodul can map them in one place:
 * `X-KIM-DecryptionResult` 01 for NO_RECIPIENT_INFO and KEY_NOT_AVAILABLE, 02 for FORMAT,
 * UNSUPPORTED_ALGORITHM, KEY_UNWRAP_FAILED and AUTHENTICATION_FAILED (kim-domain §7.4).
 */
export type CmsErrorCode =
  /** Not parseable, hostile (too deep, too many elements, lengths beyond the input) or not profile-conformant. */
  | 'FORMAT'
  /** A structure is well-formed but uses an algorithm or variant this codec does not implement. */
  | 'UNSUPPORTED_ALGORITHM'
  /** The message holds no RecipientInfo this card can open. */
  | 'NO_RECIPIENT_INFO'
  /** A RecipientInfo is ours, but its key is not available right now (card missing or locked). */
  | 'KEY_NOT_AVAILABLE'
  /** The content key could not be unwrapped, or it is not an AES-256 key. */
  | 'KEY_UNWRAP_FAILED'
  /** The GCM tag did not verify: ciphertext, nonce, tag or key are wrong. No plaintext is released. */
  | 'AUTHENTICATION_FAILED'
  /** The caller passed something unusable when creating a message (certificate, address, no recipients). */
  | 'INVALID_ARGUMENT';

export class CmsError extends Error {
  override readonly name = 'CmsError';
  constructor(
    readonly code: CmsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Shorthand for the most common error: the input is not what the profile describes. */
export function formatError(message: string): CmsError {
  return new CmsError('FORMAT', message);
}
