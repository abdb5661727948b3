/**
 * The send side of the KIM S/MIME profile (kim-domain §6.1, §6.2, §6.6) with the certificates
 * given: inner mail → message/rfc822 wrapper → SignedData (Konnektor OSIG) → signed-data entity
 * (binary) → AuthEnvelopedData for every recipient certificate and the sender's own → outer
 * KIM message with a base64 body.
 *
 * Streamed: the mail is read twice (the signature needs the digest before the DER around the
 * content can be written), and the outer message leaves in ~78 KiB pieces as it is encrypted
 * and encoded, so a mail read from a file is never held in memory.
 */
import { createHash } from 'node:crypto';
// The codec's modules one by one, not its index: `kim smime seal` then loads no decrypt/verify code.
import { createAuthEnvelopedDataEncryptor } from '../../../adapters/crypto/authEnvelopedData.js';
import type { EnvelopeRecipient } from '../../../adapters/crypto/authEnvelopedData.js';
import { issuerAndSerialOf, sameIssuerAndSerial } from '../../../adapters/crypto/certificate.js';
import { recipientEmailFor, sameRecipientEmails } from '../../../adapters/crypto/recipientEmails.js';
import type { RecipientEmail } from '../../../adapters/crypto/recipientEmails.js';
import { createSignedDataFrame } from '../../../adapters/crypto/signedData.js';
import type { Konnektor } from '../../../adapters/konnektor/port.js';
import { Base64LineEncoder } from './base64Encoder.js';
import type { ByteSource } from './byteSource.js';
import { bytesInMemory } from './byteSource.js';
import { clientMailBody, readClientMail } from './clientMail.js';
import { KimMessageError } from './errors.js';
import { assembleMail, parseHeaderFields } from './headerBlock.js';
import { innerHeaderFields } from './innerMail.js';
import { outerHeader } from './outerHeader.js';
import type { ClientmodulVersions } from './versions.js';
import { checkVersions, DEFAULT_VERSIONS } from './versions.js';

/** Step 1: the only header of the signed content (the samples' `01.rfc822wrap`). */
export const RFC822_WRAPPER = Buffer.from('Content-Type: message/rfc822\r\n\r\n');

/** Step 3 (KOM-LE-A_2299-01): CTE binary, so the DER after the empty line is never line-end-normalised. */
export const SIGNED_ENTITY_HEADER = Buffer.from(
  'MIME-Version: 1.0\r\n' +
    'Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n' +
    'Content-Transfer-Encoding: binary\r\n' +
    'Content-Disposition: attachment; filename=smime.p7m\r\n' +
    '\r\n',
);

/** Body bytes encrypted and encoded per step of the output. */
const OUTPUT_SLICE = 64 * 1024;

/** dataTimeToLive default of the Account Manager (kim-domain §3.7). */
export const DEFAULT_DATA_TIME_TO_LIVE_DAYS = 90;

export interface KimRecipient {
  readonly address: string;
  /** Every encryption certificate (DER) of the address (KOM-LE-A_2022), at least one. */
  readonly certificates: readonly Buffer[];
}

export interface SealKimMessageInput {
  /** The client mail; bare LF/CR are normalised to CRLF. */
  readonly mail: readonly Buffer[];
  /** Signs with C.HCI.OSIG and provides the sender's own ENC certificates. */
  readonly konnektor: Konnektor;
  /** From `Sender:`, else `From:` (§6.6), decided by the caller: labels the sender's copy. */
  readonly senderAddress: string;
  readonly recipients: readonly KimRecipient[];
  readonly now: Date;
  readonly versions?: ClientmodulVersions;
  /** For `Expires` (A_22417-01); default 90. */
  readonly dataTimeToLiveDays?: number;
  /** Default true. False only for peers that cannot parse unauthAttrs (OpenSSL 3.0). */
  readonly includeRecipientEmails?: boolean;
}

export interface SealedKimMessage {
  /** The outer KIM message (header chunk, then base64 lines). */
  readonly message: Buffer[];
  /** One entry per RecipientInfo, signed and unauthenticated (KOM-LE-A_2127). */
  readonly recipientEmails: RecipientEmail[];
}

export interface SealKimMessageStreamInput extends Omit<SealKimMessageInput, 'mail'> {
  /** The client mail, read twice; bare LF/CR are normalised to CRLF. */
  readonly mail: ByteSource;
}

/** Receives the outer message piece by piece, in order; may wait (back-pressure). */
export type SealedMessageSink = (piece: Buffer) => void | Promise<void>;

/**
 * Seals `mail`. Throws KimMessageError SENDER_WITHOUT_CERTIFICATE (the card has no ENC
 * certificate), INVALID_ARGUMENT, INVALID_MAIL; CmsError for unusable certificates; whatever
 * the Konnektor throws when signing.
 */
export async function sealKimMessage(input: SealKimMessageInput): Promise<SealedKimMessage> {
  const message: Buffer[] = [];
  const { recipientEmails } = await sealKimMessageTo(
    { ...input, mail: bytesInMemory(input.mail) },
    (piece) => {
      message.push(piece);
    },
  );
  return { message, recipientEmails };
}

/**
 * Seals the mail in `input.mail` and hands the outer message to `write` as it is produced.
 * Nothing is written before the mail was read once and signed, so an error up to then leaves
 * no output. Throws as sealKimMessage; also KimMessageError MAIL_CHANGED when the second
 * reading of the mail differs in length from the first (then the output is unusable).
 */
export async function sealKimMessageTo(
  input: SealKimMessageStreamInput,
  write: SealedMessageSink,
): Promise<{ readonly recipientEmails: RecipientEmail[] }> {
  const { versions, dataTimeToLiveDays, own } = checked(input);
  const recipients = envelopeRecipients(input.recipients, input.senderAddress, own);
  const recipientEmails = recipients.map((r) => recipientEmailFor(r.certificate, r.email));
  // Before the mail is read: every certificate is usable.
  const encryptor = createAuthEnvelopedDataEncryptor({
    recipients,
    ...(input.includeRecipientEmails === undefined
      ? {}
      : { includeRecipientEmails: input.includeRecipientEmails }),
  });
  // KOM-LE-A_2127: receivers flag any difference between the two copies as manipulation (09).
  if (!sameRecipientEmails(encryptor.recipientEmails, recipientEmails)) {
    throw new Error('internal: signed and unauthenticated recipient-emails differ');
  }

  // Reading 1: the header, and the digest of the signed content (wrapper, inner header, body).
  const reading = await readClientMail(input.mail);
  const fields = innerHeaderFields(parseHeaderFields(reading.header), {
    senderAddress: input.senderAddress,
    now: input.now,
    versions,
  });
  const [innerHeader] = assembleMail(fields, []) as [Buffer];
  const digest = createHash('sha256').update(RFC822_WRAPPER).update(innerHeader);
  let bodyLength = 0;
  for await (const piece of reading.body) {
    digest.update(piece);
    bodyLength += piece.length;
  }
  const { konnektor } = input;
  const frame = await createSignedDataFrame({
    contentLength: RFC822_WRAPPER.length + innerHeader.length + bodyLength,
    contentDigest: digest.digest(),
    signer: { certificate: konnektor.signingCertificate(), sign: (data) => konnektor.signWithOsig(data) },
    recipientEmails,
    signingTime: input.now,
  });

  // Reading 2: the output, encrypted and base64-encoded as it goes.
  await write(outerHeader(fields, { now: input.now, dataTimeToLiveDays }));
  const base64 = new Base64LineEncoder();
  const emit = async (pieces: readonly Buffer[]): Promise<void> => {
    for (const piece of pieces) for (const lines of base64.push(piece)) await write(lines);
  };
  await emit([encryptor.header]);
  for (const part of [SIGNED_ENTITY_HEADER, frame.prefix, RFC822_WRAPPER, innerHeader]) {
    await emit(encryptor.update(part));
  }
  const body = clientMailBody(input.mail, reading.bodyStart, reading.hadBareLineEnds());
  let bodyWritten = 0;
  for await (const piece of body) {
    bodyWritten += piece.length;
    if (bodyWritten > bodyLength) break;
    // In slices: a mail given whole in memory would otherwise be encrypted and encoded at once.
    for (let offset = 0; offset < piece.length; offset += OUTPUT_SLICE) {
      await emit(encryptor.update(piece.subarray(offset, offset + OUTPUT_SLICE)));
    }
  }
  // The DER lengths were fixed by the first reading; another length makes a broken message.
  if (bodyWritten !== bodyLength) {
    throw new KimMessageError('MAIL_CHANGED', 'the mail changed while it was sealed (its length differs)');
  }
  await emit(encryptor.update(frame.suffix));
  await emit(encryptor.final());
  for (const lines of base64.end()) await write(lines);
  return { recipientEmails: encryptor.recipientEmails };
}

function checked(input: SealKimMessageStreamInput): {
  versions: ClientmodulVersions;
  dataTimeToLiveDays: number;
  own: readonly Buffer[];
} {
  const versions = input.versions ?? DEFAULT_VERSIONS;
  checkVersions(versions);
  const dataTimeToLiveDays = input.dataTimeToLiveDays ?? DEFAULT_DATA_TIME_TO_LIVE_DAYS;
  if (!Number.isInteger(dataTimeToLiveDays) || dataTimeToLiveDays < 1 || dataTimeToLiveDays > 365) {
    throw new KimMessageError('INVALID_ARGUMENT', 'dataTimeToLiveDays must be 1..365');
  }
  const own = input.konnektor.encryptionCertificates();
  if (own.length === 0) {
    throw new KimMessageError('SENDER_WITHOUT_CERTIFICATE', 'the card has no encryption certificate');
  }
  if (input.recipients.some((r) => r.certificates.length === 0)) {
    throw new KimMessageError('INVALID_ARGUMENT', 'a recipient has no encryption certificate');
  }
  return { versions, dataTimeToLiveDays, own };
}

/**
 * One RecipientInfo per certificate of every recipient, then the sender's (KOM-LE-A_2111-01);
 * the same certificate for the same address only once (e.g. the sender among the recipients).
 */
function envelopeRecipients(
  recipients: readonly KimRecipient[],
  senderAddress: string,
  own: readonly Buffer[],
): EnvelopeRecipient[] {
  const all = [
    ...recipients.flatMap((r) => r.certificates.map((certificate) => ({ certificate, email: r.address }))),
    ...own.map((certificate) => ({ certificate, email: senderAddress })),
  ];
  const seen: { email: string; rid: ReturnType<typeof issuerAndSerialOf> }[] = [];
  return all.filter((entry) => {
    const email = entry.email.toLowerCase();
    const rid = issuerAndSerialOf(entry.certificate);
    if (seen.some((s) => s.email === email && sameIssuerAndSerial(s.rid, rid))) return false;
    seen.push({ email, rid });
    return true;
  });
}
