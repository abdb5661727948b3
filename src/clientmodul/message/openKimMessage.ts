/**
 * The receive side of the KIM S/MIME profile (kim-domain §7.3–§7.5) with the key access given:
 * pass non-KIM mails through, refuse unknown versions, decrypt with the own key, verify, compare,
 * and hand the client system the inner mail with result headers, or an error mail.
 *
 * Nothing decrypted is released before the GCM tag verified (the codec wipes it otherwise), and
 * nothing of it is written anywhere but into the returned mail.
 *
 * Memory: the body is decoded as it is read into one buffer, which is then decrypted in place;
 * the delivered mail is views of it. So a message read from a file costs about one copy of its
 * decoded size; the original is read again only to attach it to an error mail.
 */
import type { DecryptedAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import { CmsError, decryptAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import type { IssuerAndSerial, Konnektor } from '../../../adapters/konnektor/port.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import type { ByteSource } from './byteSource.js';
import { bytesInMemory, readHead } from './byteSource.js';
import { embeddedEntity } from './embeddedEntity.js';
import { readEnvelopeBody } from './envelopeBody.js';
import { KimMessageError } from './errors.js';
import type { HeaderField } from './headerBlock.js';
import {
  assembleMail,
  fieldsNamed,
  fieldValue,
  headerBytes,
  makeField,
  MAX_HEADER_BYTES,
  parseHeaderFields,
  showsHeaderEnd,
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

export interface OpenKimMessageFromInput extends Omit<OpenKimMessageInput, 'message'> {
  /** The message as delivered; read once, and again only for an error mail that attaches it. */
  readonly message: ByteSource;
}

/**
 * Opens a received message. Never throws for bad input: every failure becomes an error mail.
 * Throws only for errors that are neither the input's nor the Konnektor's (bugs).
 */
export function openKimMessage(input: OpenKimMessageInput): Promise<OpenedKimMessage> {
  return openKimMessageFrom({ ...input, message: bytesInMemory(input.message) });
}

/** openKimMessage for a message that is read as it is opened. Also throws what reading throws. */
export async function openKimMessageFrom(input: OpenKimMessageFromInput): Promise<OpenedKimMessage> {
  const source = input.message;
  const { head, rest } = await readHead(source.chunks(), MAX_HEADER_BYTES + 2, showsHeaderEnd);
  try {
    return await opened(input, head, rest);
  } finally {
    await rest.return?.();
  }
}

async function opened(
  input: OpenKimMessageFromInput,
  head: Buffer,
  rest: AsyncIterator<Buffer>,
): Promise<OpenedKimMessage> {
  const source = input.message;
  const context = { ownAddress: input.ownAddress, now: input.now };
  let outer: ReturnType<typeof splitMail>;
  try {
    outer = splitMail([head]);
  } catch (error) {
    if (!(error instanceof KimMessageError)) throw error;
    return passedThrough(await source.all(), 'header block too large to be a KIM message');
  }
  const fields = parseHeaderFields(outer.header);
  const versions = fieldsNamed(fields, 'x-kom-le-version').map((f) => unfold(fieldValue(f)).trim());
  // A_21390: DSNs, out-of-office notes and CM error mails are plain and reach the client unchanged.
  if (versions.length === 0) return passedThrough(await source.all(), 'no X-KOM-LE-Version');
  const received = async (): Promise<ReceivedMail> => ({ fields, chunks: await source.all() });
  // A_21391-02. 1.5 means KAS, which this Clientmodul does not implement.
  if (versions.some((v) => v !== KOM_LE_VERSION)) {
    return {
      mail: unsupportedVersionMail(await received(), context),
      decryptionResult: null,
      integrityCheckResult: null,
      errorCodes: [UNSUPPORTED_VERSION_CODE],
      reason: 'unsupported X-KOM-LE-Version',
    };
  }

  let decrypted: DecryptedAuthEnvelopedData;
  try {
    const [start = Buffer.alloc(0)] = outer.body;
    const envelope = await readEnvelopeBody({
      fields,
      start,
      rest,
      length: source.size - (head.length - start.length),
    });
    // The buffer is this function's own: decrypting in place saves a copy of the message's size.
    decrypted = await decryptAuthEnvelopedData(envelope, {
      ownEmail: input.ownAddress,
      unwrap: (rid, encryptedKey) => unwrap(input.konnektor, rid, encryptedKey),
      inPlace: true,
    });
  } catch (error) {
    const result = decryptionFailure(error);
    return {
      mail: decryptionFailureMail(await received(), result, context),
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
        await received(),
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
