/**
 * The receive side of the KIM S/MIME profile (kim-domain §7.3–§7.5) with the key access given:
 * pass non-KIM mails through, refuse unknown versions, decrypt with the own key, verify, compare,
 * and hand the client system the inner mail with result headers, or an error mail.
 *
 * Nothing decrypted is released before the GCM tag verified (the codec wipes it otherwise), and
 * nothing of it is written anywhere but into the returned mail.
 */
import type { DecryptedAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import { CmsError, decryptAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import type { IssuerAndSerial, Konnektor } from '../../../adapters/konnektor/index.js';
import { KonnektorError } from '../../../adapters/konnektor/index.js';
import { decodeBase64 } from './base64.js';
import { contiguous } from './chunks.js';
import { contentTypeOf, transferEncodingOf } from './contentType.js';
import { embeddedEntity } from './embeddedEntity.js';
import { KimMessageError } from './errors.js';
import type { HeaderField } from './headerBlock.js';
import {
  assembleMail,
  fieldsNamed,
  fieldValue,
  headerBytes,
  makeField,
  parseHeaderFields,
  splitMail,
  unfold,
} from './headerBlock.js';
import { checkIntegrity } from './integrity.js';
import { messagePart } from './mimeParts.js';
import { KOM_LE_VERSION } from './outerHeader.js';
import {
  decryptionFailureMail,
  integrityFailureMail,
  traceFields,
  unsupportedVersionMail,
} from './receivedErrorMails.js';
import type { ReceivedMail } from './receivedErrorMails.js';
import type { DecryptionFailure, DecryptionResult, IntegrityCheckResult } from './resultCodes.js';
import { DECRYPTION_ERROR_CODES, integrityErrorCode, UNSUPPORTED_VERSION_CODE } from './resultCodes.js';

export interface OpenKimMessageInput {
  /** The message as delivered by POP3 RETR (dot-unstuffed). */
  readonly message: readonly Buffer[];
  /** The receiving account: chooses the own RecipientInfo via recipient-emails. */
  readonly ownAddress: string;
  readonly konnektor: Konnektor;
  /**
   * CA certificates (DER) that issue card certificates. Given: the signer must be issued by one
   * (else 05) and success is 01. Absent: the path is not checked and success is 07.
   */
  readonly trustAnchors?: readonly Buffer[];
  readonly now: Date;
}

export interface OpenedKimMessage {
  /** What the client system gets. */
  readonly mail: Buffer[];
  /** null when the message is no KIM message or has an unsupported version. */
  readonly decryptionResult: DecryptionResult | null;
  /** The first X-KIM-IntegrityCheckResult; null when nothing was verified. */
  readonly integrityCheckResult: IntegrityCheckResult | null;
  /** The X-KIM-Fehlermeldung values of an error mail. */
  readonly errorCodes: string[];
  /** Why, for logs: codes and structure only, never content. */
  readonly reason: string;
}

/** The unwrap failed for another reason than the card: the Konnektor is not reachable (→ 03). */
class KonnektorUnreachable extends Error {}

/** Result fields of the client system's own; a sender must not be able to preset them. */
const RESULT_FIELDS = new Set(['x-kim-decryptionresult', 'x-kim-integritycheckresult']);

/**
 * Opens a received message. Never throws for bad input: every failure becomes an error mail.
 * Throws only for errors that are neither the input's nor the Konnektor's (bugs).
 */
export async function openKimMessage(input: OpenKimMessageInput): Promise<OpenedKimMessage> {
  const chunks = [...input.message];
  const context = { ownAddress: input.ownAddress, now: input.now };
  let outer: ReturnType<typeof splitMail>;
  try {
    outer = splitMail(chunks);
  } catch (error) {
    if (!(error instanceof KimMessageError)) throw error;
    return passedThrough(chunks, 'header block too large to be a KIM message');
  }
  const fields = parseHeaderFields(outer.header);
  const versions = fieldsNamed(fields, 'x-kom-le-version').map((f) => unfold(fieldValue(f)).trim());
  // A_21390: DSNs, out-of-office notes and CM error mails are plain and reach the client unchanged.
  if (versions.length === 0) return passedThrough(chunks, 'no X-KOM-LE-Version');
  const received: ReceivedMail = { fields, chunks };
  // A_21391-02. 1.5 means KAS, which this Clientmodul does not implement.
  if (versions.some((v) => v !== KOM_LE_VERSION)) {
    return {
      mail: unsupportedVersionMail(received, context),
      decryptionResult: null,
      integrityCheckResult: null,
      errorCodes: [UNSUPPORTED_VERSION_CODE],
      reason: 'unsupported X-KOM-LE-Version',
    };
  }

  let decrypted: DecryptedAuthEnvelopedData;
  try {
    const envelope = envelopeBytes(fields, outer.body);
    decrypted = await decryptAuthEnvelopedData(envelope, {
      ownEmail: input.ownAddress,
      unwrap: (rid, encryptedKey) => unwrap(input.konnektor, rid, encryptedKey),
    });
  } catch (error) {
    const result = decryptionFailure(error);
    return {
      mail: decryptionFailureMail(received, result, context),
      decryptionResult: result,
      integrityCheckResult: null,
      errorCodes: [DECRYPTION_ERROR_CODES[result]],
      reason: `decryption failed: ${error instanceof Error ? error.message : 'unknown'}`,
    };
  }

  const integrity = checkIntegrity({
    plaintext: decrypted.content,
    outerFields: fields,
    unauthenticatedRecipientEmails: decrypted.recipientEmails,
    ...(input.trustAnchors === undefined ? {} : { trustAnchors: input.trustAnchors }),
    now: input.now,
  });
  const first = integrity.results[0] as IntegrityCheckResult;
  if (!integrity.success || integrity.inner?.fields === undefined) {
    const embedded =
      integrity.inner === undefined
        ? embeddedEntity(decrypted.content)
        : messagePart(integrity.inner.chunks, 'Original.eml');
    return {
      mail: integrityFailureMail(
        received,
        integrity.inner?.fields ?? fields,
        integrity.results,
        embedded,
        context,
      ),
      decryptionResult: '00',
      integrityCheckResult: first,
      errorCodes: [...new Set(integrity.results.map(integrityErrorCode))],
      reason: integrity.reason,
    };
  }
  return {
    mail: deliveredMail(fields, integrity.inner.chunks, integrity.inner.fields, first),
    decryptionResult: '00',
    integrityCheckResult: first,
    errorCodes: [],
    reason: integrity.reason,
  };
}

function passedThrough(chunks: Buffer[], reason: string): OpenedKimMessage {
  return { mail: chunks, decryptionResult: null, integrityCheckResult: null, errorCodes: [], reason };
}

/** The AuthEnvelopedData from the outer body (§6.1 step 5). Throws KimMessageError INVALID_MAIL. */
function envelopeBytes(fields: readonly HeaderField[], body: readonly Buffer[]): Buffer {
  const type = contentTypeOf(fields);
  const smimeType = type.parameters.get('smime-type')?.toLowerCase();
  if (
    (type.type !== 'application/pkcs7-mime' && type.type !== 'application/x-pkcs7-mime') ||
    (smimeType !== undefined && smimeType !== 'authenticated-enveloped-data')
  ) {
    throw new KimMessageError('INVALID_MAIL', `outer body is ${type.type}, not authenticated-enveloped-data`);
  }
  const encoding = transferEncodingOf(fields);
  if (encoding === 'base64') return decodeBase64(body);
  if (encoding === 'binary' || encoding === '8bit' || encoding === '7bit') return contiguous(body);
  throw new KimMessageError('INVALID_MAIL', `outer Content-Transfer-Encoding ${encoding}`);
}

async function unwrap(konnektor: Konnektor, rid: IssuerAndSerial, encryptedKey: Buffer): Promise<Buffer> {
  try {
    return await konnektor.unwrapContentKey(rid, encryptedKey);
  } catch (error) {
    if (error instanceof KonnektorError) throw error;
    throw new KonnektorUnreachable('the Konnektor did not answer the unwrap', { cause: error });
  }
}

/** Tab_Fehlertext_Entschl: 01 key not available, 02 wrong format, 03 Konnektor not reachable. */
function decryptionFailure(error: unknown): DecryptionFailure {
  if (error instanceof KonnektorUnreachable) return '03';
  if (error instanceof KimMessageError) return '02';
  if (error instanceof CmsError) {
    return error.code === 'NO_RECIPIENT_INFO' || error.code === 'KEY_NOT_AVAILABLE' ? '01' : '02';
  }
  // Card missing, locked or unreadable: the key is not available right now.
  if (error instanceof KonnektorError) return error.code === 'DECRYPTION_FAILED' ? '02' : '01';
  throw error;
}

/**
 * The inner mail for the client system: the outer trace fields (A_21236, A_20628) and the
 * result fields in front of the signed header, the inner mail itself unchanged; result fields a
 * sender put into the inner header are dropped.
 */
function deliveredMail(
  outerFields: readonly HeaderField[],
  inner: Buffer[],
  innerFields: readonly HeaderField[],
  result: IntegrityCheckResult,
): Buffer[] {
  const own = [
    ...traceFields(outerFields),
    makeField('X-KIM-DecryptionResult', '00'),
    makeField('X-KIM-IntegrityCheckResult', result),
  ];
  if (!innerFields.some((f) => f.name !== undefined && RESULT_FIELDS.has(f.name))) {
    return [headerBytes(own), ...inner];
  }
  const kept = innerFields.filter((f) => f.name === undefined || !RESULT_FIELDS.has(f.name));
  return assembleMail([...own, ...kept], splitMail(inner).body);
}
