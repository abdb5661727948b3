/**
 * Opens a KIM AuthEnvelopedData the way a receiving Clientmodul must (KOM-LE-A_2043/2045/2059):
 * look up the own address in recipient-emails, take the certificates listed for it, and let the
 * card unwrap the content key for one of them.
 */
import type { IssuerAndSerial } from '../konnektor/port.js';
import { KonnektorError } from '../konnektor/port.js';
import { sameIssuerAndSerial } from './certificate.js';
import { CmsError } from './errors.js';
import { parseAuthEnvelopedData } from './parseAuthEnvelopedData.js';
import type { KeyTransRecipient } from './parseAuthEnvelopedData.js';
import { ridsForEmail } from './recipientEmails.js';
import type { RecipientEmail } from './recipientEmails.js';

export interface DecryptAuthEnvelopedDataOptions {
  /** The receiving account's address (the POP3 user); chooses the RecipientInfo via recipient-emails. */
  readonly ownEmail?: string;
  /**
   * Unwraps the content key (RSAES-OAEP SHA-256); in production the Konnektor's `unwrapContentKey`.
   * Throw KonnektorError KEY_NOT_AVAILABLE when the key is not on this card, DECRYPTION_FAILED
   * when the unwrap fails; any other error is passed on unchanged (Konnektor unreachable).
   */
  unwrap(rid: IssuerAndSerial, encryptedKey: Buffer): Promise<Buffer>;
  /**
   * Decrypt inside `bytes` (see DecryptOptions): the plaintext is a view of `bytes`, and the
   * ciphertext in `bytes` is lost. For a buffer the caller owns and needs no more.
   */
  readonly inPlace?: boolean;
}

export interface DecryptedAuthEnvelopedData {
  /** The plaintext, released after the GCM tag verified. */
  readonly content: Buffer[];
  /** The RecipientInfo that was used. */
  readonly recipient: KeyTransRecipient;
  /** The unauthenticated recipient-emails attribute, when present (compare it with the signed one). */
  readonly recipientEmails?: readonly RecipientEmail[];
}

/**
 * Decrypts a KIM message for `ownEmail`. When recipient-emails lists the address, only the
 * RecipientInfos of the certificates listed for it are tried (never another user's key,
 * KOM-LE-A_2045). When the attribute is absent or does not list the address (OpenSSL output,
 * no `ownEmail` given), every RSAES-OAEP-SHA256 RecipientInfo is offered to `unwrap` in turn.
 *
 * Throws CmsError FORMAT / UNSUPPORTED_ALGORITHM (→ DecryptionResult 02), NO_RECIPIENT_INFO and
 * KEY_NOT_AVAILABLE (→ 01), KEY_UNWRAP_FAILED and AUTHENTICATION_FAILED (→ 02); errors of
 * `unwrap` other than KonnektorError KEY_NOT_AVAILABLE / DECRYPTION_FAILED pass through.
 */
export async function decryptAuthEnvelopedData(
  bytes: Uint8Array,
  options: DecryptAuthEnvelopedDataOptions,
): Promise<DecryptedAuthEnvelopedData> {
  const parsed = parseAuthEnvelopedData(bytes);
  const listed =
    options.ownEmail === undefined || parsed.recipientEmails === undefined
      ? []
      : ridsForEmail(parsed.recipientEmails, options.ownEmail);
  const own = parsed.recipients.filter((r) => listed.some((rid) => sameIssuerAndSerial(rid, r.rid)));
  if (listed.length > 0 && own.length === 0) {
    throw new CmsError('FORMAT', 'recipient-emails lists certificates that have no RecipientInfo');
  }
  const candidates = (listed.length > 0 ? own : parsed.recipients).filter((r) => r.oaepSha256);
  if (own.length > 0 && candidates.length === 0) {
    // E.g. only a TI-ECIES (ECC) RecipientInfo for this address: not implemented here.
    throw new CmsError('UNSUPPORTED_ALGORITHM', 'own RecipientInfos are not RSAES-OAEP-SHA256');
  }
  if (candidates.length === 0)
    throw new CmsError('NO_RECIPIENT_INFO', 'no RecipientInfo this card could open');

  let unwrapFailed: unknown;
  for (const recipient of candidates) {
    let contentKey: Buffer;
    try {
      contentKey = await options.unwrap(recipient.rid, recipient.encryptedKey);
    } catch (error) {
      if (error instanceof KonnektorError && error.code === 'KEY_NOT_AVAILABLE') continue;
      if (error instanceof KonnektorError && error.code === 'DECRYPTION_FAILED') {
        unwrapFailed = error;
        continue;
      }
      throw error;
    }
    try {
      return {
        content: parsed.decrypt(contentKey, { inPlace: options.inPlace === true }),
        recipient,
        ...(parsed.recipientEmails === undefined ? {} : { recipientEmails: parsed.recipientEmails }),
      };
    } finally {
      contentKey.fill(0);
    }
  }
  if (unwrapFailed !== undefined) {
    throw new CmsError('KEY_UNWRAP_FAILED', 'the content key could not be unwrapped', {
      cause: unwrapFailed,
    });
  }
  if (listed.length > 0)
    throw new CmsError('KEY_NOT_AVAILABLE', 'the key of the own certificate is not available');
  throw new CmsError('NO_RECIPIENT_INFO', 'no RecipientInfo this card could open');
}
