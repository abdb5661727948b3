/**
 * The few fields of an X.509 certificate the card checks need beyond node:crypto's
 * X509Certificate: the keyUsage bits, the subject's first commonName and an extension's value,
 * read with the adapter's own DER reader. @peculiar/x509 did this before; loading it (with
 * reflect-metadata and tsyringe) cost every `kim smime` run ~0.2 s and ~20 MB.
 */
import { children, DerError, expectTlv, oid } from './der.js';
import type { Tlv } from './der.js';

const KEY_USAGE_OID = '2.5.29.15';
const COMMON_NAME_OID = '2.5.4.3';

/** The KeyUsage bits as flags: digitalSignature 1, nonRepudiation 2, keyEncipherment 4, … (RFC 5280 §4.2.1.3). */
export const KeyUsageFlags = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

function tbsFields(der: Buffer): Tlv[] {
  const [tbs] = children(expectTlv(der, 0x30, 'Certificate').content);
  if (tbs?.tag !== 0x30) throw new DerError('Certificate: tbsCertificate missing');
  return children(tbs.content);
}

/** The value (extnValue content) of the extension `dotted`, or undefined. */
export function extensionValue(der: Buffer, dotted: string): Buffer | undefined {
  const wanted = oid(dotted);
  const tagged = tbsFields(der).find((field) => field.tag === 0xa3); // extensions [3] EXPLICIT
  if (tagged === undefined) return undefined;
  const [extensions] = children(tagged.content);
  if (extensions?.tag !== 0x30) throw new DerError('extensions malformed');
  for (const extension of children(extensions.content)) {
    const [id, ...rest] = children(extension.content);
    if (id?.tag !== 0x06 || !id.element.equals(wanted)) continue;
    const value = rest[rest.length - 1]; // after the optional critical BOOLEAN
    if (value?.tag !== 0x04) throw new DerError(`extension ${dotted}: extnValue missing`);
    return value.content;
  }
  return undefined;
}

/** The keyUsage flags, or undefined without the extension. */
export function keyUsageOf(der: Buffer): number | undefined {
  const value = extensionValue(der, KEY_USAGE_OID);
  if (value === undefined) return undefined;
  const bits = expectTlv(value, 0x03, 'keyUsage').content;
  let flags = 0;
  // The first octet counts unused bits; bit 0 (digitalSignature) is the first octet's high bit.
  for (let i = 1; i < bits.length && i <= 2; i++) {
    for (let bit = 0; bit < 8; bit++)
      if ((bits[i] as number) & (0x80 >> bit)) flags |= 1 << ((i - 1) * 8 + bit);
  }
  return flags;
}

/** The first commonName of the subject, decoded from its string type; undefined when absent. */
export function subjectCommonName(der: Buffer): string | undefined {
  const fields = tbsFields(der);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version
  const subject = fields[offset + 4];
  if (subject?.tag !== 0x30) throw new DerError('subject missing');
  const wanted = oid(COMMON_NAME_OID);
  for (const rdn of children(subject.content)) {
    for (const attribute of children(rdn.content)) {
      const [type, value] = children(attribute.content);
      if (type?.element.equals(wanted) === true && value !== undefined) return decodeString(value);
    }
  }
  return undefined;
}

function decodeString(value: Tlv): string {
  switch (value.tag) {
    case 0x1e: // BMPString: UTF-16 big-endian
      return Buffer.from(value.content).swap16().toString('utf16le');
    case 0x14: // TeletexString, taken as Latin-1 like most readers
      return value.content.toString('latin1');
    default: // UTF8String, PrintableString, IA5String
      return value.content.toString('utf8');
  }
}
