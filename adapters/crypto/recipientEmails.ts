/**
 * The recipient-emails attribute (1.2.276.0.76.4.173, kim-domain §6.4): which certificate
 * belongs to which KIM address, so each recipient finds its own RecipientInfo.
 *
 *   RecipientEmail ::= SEQUENCE { emailAddress IA5String, rid IssuerAndSerialNumber }
 *
 * The RecipientEmail SEQUENCEs are the attribute's values directly (SET { SEQ, SEQ }), DER-sorted.
 */
import type { IssuerAndSerial } from '../konnektor/port.js';
import { encodeAttribute, readAttribute } from './attributes.js';
import type { ReadAttribute } from './attributes.js';
import { BerReader, expectTag, TagClass, UniversalTag } from './ber.js';
import type { Tlv } from './ber.js';
import { encodeIssuerAndSerial, issuerAndSerialOf } from './certificate.js';
import { compareEncodings, Tag, sequence, tlv } from './der.js';
import { CmsError, formatError } from './errors.js';
import { Oid } from './oids.js';

export interface RecipientEmail {
  /** The KIM address, original spelling. */
  readonly email: string;
  /** Issuer and serial of the encryption certificate, byte-exact from the certificate. */
  readonly rid: IssuerAndSerial;
}

const IA5 = /^[\x00-\x7f]+$/;

/** The entry for `email` and its encryption certificate (DER). Throws CmsError INVALID_ARGUMENT. */
export function recipientEmailFor(certificate: Uint8Array, email: string): RecipientEmail {
  if (!IA5.test(email)) throw new CmsError('INVALID_ARGUMENT', 'address must be non-empty IA5 (ASCII)');
  try {
    return { email, rid: issuerAndSerialOf(certificate) };
  } catch (error) {
    throw new CmsError('INVALID_ARGUMENT', 'not a certificate', { cause: error });
  }
}

export function encodeRecipientEmail(entry: RecipientEmail): Buffer {
  if (!IA5.test(entry.email)) throw new CmsError('INVALID_ARGUMENT', 'address must be non-empty IA5 (ASCII)');
  return sequence(tlv(Tag.ia5String, Buffer.from(entry.email, 'latin1')), encodeIssuerAndSerial(entry.rid));
}

/** The complete Attribute, values DER-sorted; the same bytes serve as signed and as unauthenticated attribute. */
export function encodeRecipientEmailsAttribute(entries: readonly RecipientEmail[]): Buffer {
  if (entries.length === 0)
    throw new CmsError('INVALID_ARGUMENT', 'recipient-emails needs at least one entry');
  return encodeAttribute(Oid.recipientEmails, entries.map(encodeRecipientEmail));
}

function decodeRecipientEmail(reader: BerReader, value: Tlv): RecipientEmail {
  expectTag(value, TagClass.universal, UniversalTag.sequence, 'RecipientEmail', true);
  const [email, rid, extra] = reader.children(value);
  if (email === undefined || rid === undefined || extra !== undefined)
    throw formatError('RecipientEmail malformed');
  expectTag(email, TagClass.universal, UniversalTag.ia5String, 'RecipientEmail.emailAddress', false);
  const address = reader.content(email).toString('latin1');
  if (!IA5.test(address)) throw formatError('RecipientEmail.emailAddress is not IA5');
  return { email: address, rid: readIssuerAndSerial(reader, rid, 'RecipientEmail.rid') };
}

/** IssuerAndSerialNumber, copied out of the reader's buffer. */
export function readIssuerAndSerial(reader: BerReader, el: Tlv, what: string): IssuerAndSerial {
  expectTag(el, TagClass.universal, UniversalTag.sequence, what, true);
  const [issuer, serial, extra] = reader.children(el);
  if (issuer === undefined || serial === undefined || extra !== undefined)
    throw formatError(`${what} malformed`);
  expectTag(issuer, TagClass.universal, UniversalTag.sequence, `${what}.issuer`, true);
  expectTag(serial, TagClass.universal, UniversalTag.integer, `${what}.serialNumber`, false);
  if (serial.contentEnd === serial.contentStart) throw formatError(`${what}: empty serialNumber`);
  return { issuer: Buffer.from(reader.bytes(issuer)), serialNumber: Buffer.from(reader.content(serial)) };
}

/**
 * The entries of the recipient-emails attribute among `attributes`, or undefined when it is
 * absent. Several attributes of this type are merged (tolerated; the profile has one).
 */
export function recipientEmailsFrom(
  reader: BerReader,
  attributes: readonly ReadAttribute[],
): RecipientEmail[] | undefined {
  const found = attributes.filter((a) => a.type === Oid.recipientEmails);
  if (found.length === 0) return undefined;
  return found.flatMap((attribute) => attribute.values.map((value) => decodeRecipientEmail(reader, value)));
}

/** Decodes a standalone recipient-emails Attribute (DER), e.g. as the Konnektor's CMSAttribute. */
export function decodeRecipientEmailsAttribute(attribute: Uint8Array): RecipientEmail[] {
  const reader = new BerReader(attribute);
  const entries = recipientEmailsFrom(reader, [readAttribute(reader, reader.root(), 'recipient-emails')]);
  if (entries === undefined) throw formatError('not a recipient-emails attribute');
  return entries;
}

/** Same entries, order ignored (IntegrityCheckResult 09 compares the signed and the unauthenticated copy). */
export function sameRecipientEmails(a: readonly RecipientEmail[], b: readonly RecipientEmail[]): boolean {
  if (a.length !== b.length) return false;
  const encode = (entries: readonly RecipientEmail[]): Buffer[] =>
    entries.map(encodeRecipientEmail).sort(compareEncodings);
  const left = encode(a);
  const right = encode(b);
  return left.every((entry, i) => entry.equals(right[i] as Buffer));
}

/** The certificates listed for `email`, compared case-insensitively (kim-domain §2). */
export function ridsForEmail(entries: readonly RecipientEmail[], email: string): IssuerAndSerial[] {
  const wanted = email.toLowerCase();
  return entries.filter((entry) => entry.email.toLowerCase() === wanted).map((entry) => entry.rid);
}
