/**
 * The few facts this codec needs from an X.509 certificate: issuer and serial byte for byte,
 * the subjectKeyIdentifier, and the RSA public key. Path validation is not done here.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { IssuerAndSerial } from '../konnektor/port.js';
import { BerReader, decodeOid, expectTag, isTag, TagClass, UniversalTag } from './ber.js';
import type { Tlv } from './ber.js';
import { Tag, tlv, sequence } from './der.js';
import { CmsError } from './errors.js';
import { Oid } from './oids.js';

/** A certificate is small; anything beyond this is not a certificate this codec accepts. */
const MAX_CERTIFICATE_LENGTH = 64 * 1024;

/** The fields of tbsCertificate, read from `certificate` with tight limits. */
function tbsFields(certificate: Uint8Array): { reader: BerReader; fields: Tlv[] } {
  if (certificate.length > MAX_CERTIFICATE_LENGTH) throw new CmsError('FORMAT', 'certificate too large');
  const reader = new BerReader(certificate, { maxDepth: 32, maxNodes: 10_000 });
  const cert = expectTag(reader.root(), TagClass.universal, UniversalTag.sequence, 'Certificate', true);
  const [tbs] = reader.children(cert);
  if (tbs === undefined) throw new CmsError('FORMAT', 'Certificate: tbsCertificate missing');
  expectTag(tbs, TagClass.universal, UniversalTag.sequence, 'tbsCertificate', true);
  return { reader, fields: reader.children(tbs) };
}

/**
 * The issuer Name's DER and the serialNumber's content octets, copied from the certificate
 * without re-encoding (KOM-LE-A_2115-02). Throws CmsError FORMAT for anything but a certificate.
 */
export function issuerAndSerialOf(certificate: Uint8Array): IssuerAndSerial {
  const { reader, fields } = tbsFields(certificate);
  const offset = isTag(fields[0], TagClass.context, 0) ? 1 : 0; // [0] EXPLICIT version, optional
  const serial = fields[offset];
  const issuer = fields[offset + 2];
  if (serial === undefined || issuer === undefined) throw new CmsError('FORMAT', 'tbsCertificate truncated');
  expectTag(serial, TagClass.universal, UniversalTag.integer, 'serialNumber', false);
  expectTag(issuer, TagClass.universal, UniversalTag.sequence, 'issuer', true);
  if (serial.contentEnd === serial.contentStart) throw new CmsError('FORMAT', 'empty serialNumber');
  // Copies, so a rid does not pin a whole message buffer in memory.
  return { issuer: Buffer.from(reader.bytes(issuer)), serialNumber: Buffer.from(reader.content(serial)) };
}

export function sameIssuerAndSerial(a: IssuerAndSerial, b: IssuerAndSerial): boolean {
  return a.serialNumber.equals(b.serialNumber) && a.issuer.equals(b.issuer);
}

/** IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }, issuer bytes as given. */
export function encodeIssuerAndSerial(rid: IssuerAndSerial): Buffer {
  return sequence(rid.issuer, tlv(Tag.integer, rid.serialNumber));
}

/**
 * The subjectKeyIdentifier extension's value, if the certificate has one. Throws CmsError
 * FORMAT when the certificate or the extension is malformed.
 */
export function subjectKeyIdentifierOf(certificate: Uint8Array): Buffer | undefined {
  const { reader, fields } = tbsFields(certificate);
  // extensions [3] EXPLICIT SEQUENCE OF Extension, the last optional field of tbsCertificate.
  const tagged = fields.find((field) => isTag(field, TagClass.context, 3));
  if (tagged === undefined) return undefined;
  const [extensions, more] = reader.children(tagged);
  if (extensions === undefined || more !== undefined) throw new CmsError('FORMAT', 'extensions malformed');
  expectTag(extensions, TagClass.universal, UniversalTag.sequence, 'extensions', true);
  for (const extension of reader.children(extensions)) {
    expectTag(extension, TagClass.universal, UniversalTag.sequence, 'Extension', true);
    const [id, ...rest] = reader.children(extension);
    if (id === undefined) throw new CmsError('FORMAT', 'Extension malformed');
    expectTag(id, TagClass.universal, UniversalTag.oid, 'extnID', false);
    if (decodeOid(reader.content(id)) !== Oid.subjectKeyIdentifier) continue;
    const value = rest[rest.length - 1]; // after the optional critical BOOLEAN
    if (value === undefined || rest.length > 2) throw new CmsError('FORMAT', 'Extension malformed');
    expectTag(value, TagClass.universal, UniversalTag.octetString, 'extnValue', false);
    // extnValue holds the DER of KeyIdentifier ::= OCTET STRING.
    const inner = new BerReader(reader.content(value), { maxDepth: 2, maxNodes: 2 });
    const keyIdentifier = expectTag(inner.root(), TagClass.universal, UniversalTag.octetString, 'SKI', false);
    return Buffer.from(inner.content(keyIdentifier));
  }
  return undefined;
}

/** The certificate's RSA public key; ECC keys are not supported by this codec yet. */
export function rsaPublicKeyOf(certificate: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = new X509Certificate(certificate).publicKey;
  } catch (error) {
    throw new CmsError('FORMAT', 'certificate not parseable', { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') {
    throw new CmsError(
      'UNSUPPORTED_ALGORITHM',
      `certificate key type ${key.asymmetricKeyType ?? '?'} not supported`,
    );
  }
  return key;
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
