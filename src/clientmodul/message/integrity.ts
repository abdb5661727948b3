/**
 * The integrity checks of a decrypted KIM message (kim-domain §7.3 step 5, §7.4): the signed-data
 * entity, the signature, the signer certificate, the outer vs the signed header fields (08) and
 * the signed vs the unauthenticated recipient-emails (09).
 */
import type { RecipientEmail } from '../../../adapters/crypto/index.js';
import {
  CmsError,
  sameRecipientEmails,
  signedDataBytesFrom,
  verifySignedData,
} from '../../../adapters/crypto/index.js';
import type { SignedDataFailure } from '../../../adapters/crypto/index.js';
import { contiguous } from './chunks.js';
import { contentTypeOf } from './contentType.js';
import { KimMessageError } from './errors.js';
import { differingFields } from './headerComparison.js';
import type { HeaderField } from './headerBlock.js';
import { hasField, parseHeaderFields, splitMail } from './headerBlock.js';
import type { IntegrityCheckResult } from './resultCodes.js';
import { checkSignerCertificate } from './signerCertificate.js';

/** The signed-data entity's and the rfc822 wrapper's headers are a few lines. */
const ENTITY_HEADER_LIMIT = 64 * 1024;

export interface IntegrityInput {
  /** The decrypted content: the signed-data entity (kim-domain §6.1 step 3). */
  readonly plaintext: readonly Buffer[];
  readonly outerFields: readonly HeaderField[];
  readonly unauthenticatedRecipientEmails: readonly RecipientEmail[] | undefined;
  readonly trustAnchors?: readonly Buffer[];
  readonly now: Date;
}

export interface IntegrityOutcome {
  /** One success code (01 or 07), or every failure found. */
  readonly results: readonly IntegrityCheckResult[];
  readonly success: boolean;
  /**
   * The signed inner mail (wrapper removed) when the signature verified mathematically; its
   * header fields unless the header block was unreadable.
   */
  readonly inner?: { readonly chunks: Buffer[]; readonly fields: readonly HeaderField[] | undefined };
  /** For logs; never content. */
  readonly reason: string;
}

const VERIFY_RESULTS: Readonly<Record<SignedDataFailure, IntegrityCheckResult>> = {
  MISSING: '03',
  DIGEST_MISMATCH: '02',
  BAD_SIGNATURE: '02',
  FORMAT: '04',
  UNSUPPORTED_ALGORITHM: '04',
  SIGNER_CERTIFICATE: '04',
};

export function checkIntegrity(input: IntegrityInput): IntegrityOutcome {
  const entity = signedData(input.plaintext);
  if ('result' in entity) return { results: [entity.result], success: false, reason: entity.reason };
  const verification = verifySignedData(entity.der);
  if (!verification.valid) {
    return { results: [VERIFY_RESULTS[verification.code]], success: false, reason: verification.reason };
  }
  const chunks = unwrapRfc822(verification.content);
  const fields = innerFields(chunks);
  const inner = { chunks, fields };
  // KOM-LE-A_2127: without the signed copy the unauthenticated one cannot be checked.
  if (verification.recipientEmails === undefined) {
    return { results: ['04'], success: false, inner, reason: 'signed recipient-emails attribute missing' };
  }
  const signer = checkSignerCertificate(verification.signerCertificate, {
    ...(input.trustAnchors === undefined ? {} : { trustAnchors: input.trustAnchors }),
    ...(verification.signingTime === undefined ? {} : { signingTime: verification.signingTime }),
    now: input.now,
  });
  if (signer.result === '05') return { results: ['05'], success: false, inner, reason: signer.reason };

  const failures: IntegrityCheckResult[] = [];
  const reasons: string[] = [];
  const differing =
    fields === undefined ? ['(inner header unreadable)'] : differingFields(input.outerFields, fields);
  if (differing.length > 0) {
    failures.push('08');
    reasons.push(`outer header differs: ${differing.join(', ')}`);
  }
  const unauthenticated = input.unauthenticatedRecipientEmails;
  if (unauthenticated === undefined || !sameRecipientEmails(verification.recipientEmails, unauthenticated)) {
    failures.push('09');
    reasons.push('signed and unauthenticated recipient-emails differ');
  }
  if (failures.length > 0) return { results: failures, success: false, inner, reason: reasons.join('; ') };
  return { results: [signer.result], success: true, inner, reason: signer.reason };
}

/** The DER of the signed-data entity, or why there is none (03 not signed, 04 malformed). */
function signedData(
  plaintext: readonly Buffer[],
): { readonly der: Buffer } | { readonly result: IntegrityCheckResult; readonly reason: string } {
  let fields: HeaderField[];
  try {
    const split = splitMail(plaintext, ENTITY_HEADER_LIMIT);
    if (!split.separated) return { result: '03', reason: 'decrypted content is not a MIME entity' };
    fields = parseHeaderFields(split.header);
  } catch (error) {
    if (!(error instanceof KimMessageError)) throw error;
    return { result: '03', reason: 'decrypted content is not a MIME entity' };
  }
  const type = contentTypeOf(fields);
  const smimeType = type.parameters.get('smime-type')?.toLowerCase();
  if (
    (type.type !== 'application/pkcs7-mime' && type.type !== 'application/x-pkcs7-mime') ||
    (smimeType !== undefined && smimeType !== 'signed-data')
  ) {
    return { result: '03', reason: `decrypted content is ${type.type}, not signed-data` };
  }
  try {
    return { der: signedDataBytesFrom(contiguous([...plaintext])) };
  } catch (error) {
    if (!(error instanceof CmsError)) throw error;
    return { result: '04', reason: error.message };
  }
}

/** kim-domain §6.1 step 1: the signed content is `Content-Type: message/rfc822` + the inner mail. */
function unwrapRfc822(content: Buffer[]): Buffer[] {
  try {
    const split = splitMail(content, ENTITY_HEADER_LIMIT);
    const fields = parseHeaderFields(split.header);
    // A wrapper has no originator: a mail signed without the wrapper is taken as it is.
    if (split.separated && contentTypeOf(fields).type === 'message/rfc822' && !hasField(fields, 'from')) {
      return split.body;
    }
  } catch (error) {
    if (!(error instanceof KimMessageError)) throw error;
  }
  return content;
}

function innerFields(mail: readonly Buffer[]): HeaderField[] | undefined {
  try {
    return parseHeaderFields(splitMail(mail).header);
  } catch (error) {
    if (!(error instanceof KimMessageError)) throw error;
    return undefined;
  }
}
