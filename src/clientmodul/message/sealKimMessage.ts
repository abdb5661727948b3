/**
 * The send side of the KIM S/MIME profile (kim-domain §6.1, §6.2, §6.6) with the certificates
 * given: inner mail → message/rfc822 wrapper → SignedData (Konnektor OSIG) → signed-data entity
 * (binary) → AuthEnvelopedData for every recipient certificate and the sender's own → outer
 * KIM message with a base64 body.
 */
import type { EnvelopeRecipient, RecipientEmail } from '../../../adapters/crypto/index.js';
import {
  createAuthEnvelopedData,
  createSignedData,
  issuerAndSerialOf,
  recipientEmailFor,
  sameIssuerAndSerial,
  sameRecipientEmails,
} from '../../../adapters/crypto/index.js';
import type { Konnektor } from '../../../adapters/konnektor/index.js';
import { base64Lines } from './base64.js';
import { KimMessageError } from './errors.js';
import { prepareInnerMail } from './innerMail.js';
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

/**
 * Seals `mail`. Throws KimMessageError SENDER_WITHOUT_CERTIFICATE (the card has no ENC
 * certificate), INVALID_ARGUMENT, INVALID_MAIL; CmsError for unusable certificates; whatever
 * the Konnektor throws when signing.
 */
export async function sealKimMessage(input: SealKimMessageInput): Promise<SealedKimMessage> {
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
  const missing = input.recipients.find((r) => r.certificates.length === 0);
  if (missing !== undefined) {
    throw new KimMessageError('INVALID_ARGUMENT', 'a recipient has no encryption certificate');
  }

  const recipients = envelopeRecipients(input.recipients, input.senderAddress, own);
  const recipientEmails = recipients.map((r) => recipientEmailFor(r.certificate, r.email));
  const inner = prepareInnerMail(input.mail, {
    senderAddress: input.senderAddress,
    now: input.now,
    versions,
  });
  const { konnektor } = input;
  const signedData = await createSignedData({
    content: [RFC822_WRAPPER, ...inner.chunks],
    signer: { certificate: konnektor.signingCertificate(), sign: (data) => konnektor.signWithOsig(data) },
    recipientEmails,
    signingTime: input.now,
  });
  const envelope = createAuthEnvelopedData({
    content: [SIGNED_ENTITY_HEADER, ...signedData],
    recipients,
    ...(input.includeRecipientEmails === undefined
      ? {}
      : { includeRecipientEmails: input.includeRecipientEmails }),
  });
  // KOM-LE-A_2127: receivers flag any difference between the two copies as manipulation (09).
  if (!sameRecipientEmails(envelope.recipientEmails, recipientEmails)) {
    throw new Error('internal: signed and unauthenticated recipient-emails differ');
  }
  return {
    message: [
      outerHeader(inner.fields, { now: input.now, dataTimeToLiveDays }),
      ...base64Lines(envelope.chunks),
    ],
    recipientEmails: envelope.recipientEmails,
  };
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
