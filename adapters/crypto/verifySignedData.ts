/**
 * Verifies a SignedData (DER or BER): structure, signer certificate match, messageDigest,
 * CMSAlgorithmProtection and signingCertificateV2 when present, and the RSA signature
 * (RSASSA-PSS or PKCS#1 v1.5). Certificate path validation is not done here.
 * Bad input never throws: the result says what is wrong.
 */
import { constants, createHash, verify as verifySignature } from 'node:crypto';
import type { IssuerAndSerial } from '../konnektor/port.js';
import { digestNameOf, readAlgorithmIdentifier, sameAlgorithm, signatureSchemeOf } from './algorithms.js';
import type { AlgorithmIdentifierValue, DigestName, SignatureScheme } from './algorithms.js';
import { readAttributes, singleValued } from './attributes.js';
import type { ReadAttribute } from './attributes.js';
import { decodeOid, expectTag, isTag, TagClass, UniversalTag } from './ber.js';
import type { BerReader, Tlv } from './ber.js';
import {
  issuerAndSerialOf,
  rsaPublicKeyOf,
  sameIssuerAndSerial,
  subjectKeyIdentifierOf,
} from './certificate.js';
import { readContentInfo } from './contentInfo.js';
import { CmsError, formatError } from './errors.js';
import { DIGEST_NAMES, Oid } from './oids.js';
import { readIssuerAndSerial, recipientEmailsFrom } from './recipientEmails.js';
import type { RecipientEmail } from './recipientEmails.js';
import { decodeTime } from './time.js';

/**
 * Why a SignedData is not valid. Suggested `X-KIM-IntegrityCheckResult` mapping (kim-domain §7.4):
 * FORMAT, UNSUPPORTED_ALGORITHM, SIGNER_CERTIFICATE → 04; MISSING → 03; DIGEST_MISMATCH, BAD_SIGNATURE → 02.
 */
export type SignedDataFailure =
  /** Not a parseable SignedData, or not the profile's shape (no content, no signed attributes, several signers). */
  | 'FORMAT'
  /** No SignerInfo at all. */
  | 'MISSING'
  /** Digest or signature algorithm, or key type, this codec does not verify. */
  | 'UNSUPPORTED_ALGORITHM'
  /** The signer's certificate is not included, does not match the sid, or not the one signingCertificateV2 names. */
  | 'SIGNER_CERTIFICATE'
  /** The content does not hash to the signed messageDigest: the content was changed. */
  | 'DIGEST_MISMATCH'
  /** The signature over the signed attributes does not verify, or CMSAlgorithmProtection contradicts them. */
  | 'BAD_SIGNATURE';

export type SignedDataVerification =
  | {
      readonly valid: true;
      /** The signed content as a chunk list (views of the input unless its BER segments were tiny). */
      readonly content: Buffer[];
      /** The signer's certificate, DER (a view of the input). */
      readonly signerCertificate: Buffer;
      readonly signatureScheme: SignatureScheme['kind'];
      readonly signingTime?: Date;
      /** The signed recipient-emails attribute, when present. */
      readonly recipientEmails?: RecipientEmail[];
    }
  | { readonly valid: false; readonly code: SignedDataFailure; readonly reason: string };

class VerificationFailure extends Error {
  constructor(
    readonly code: SignedDataFailure,
    message: string,
  ) {
    super(message);
  }
}

type Sid =
  | { readonly kind: 'issuerAndSerial'; readonly rid: IssuerAndSerial }
  | {
      readonly kind: 'subjectKeyIdentifier';
      readonly ski: Buffer;
    };

interface ReadSignerInfo {
  readonly sid: Sid;
  readonly digestAlgorithm: AlgorithmIdentifierValue;
  readonly signedAttrs: Tlv;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signature: Buffer;
}

/** Verifies `bytes` (a ContentInfo with SignedData, DER or BER). Never throws for bad input. */
export function verifySignedData(bytes: Uint8Array): SignedDataVerification {
  try {
    return verify(bytes);
  } catch (error) {
    if (error instanceof VerificationFailure)
      return { valid: false, code: error.code, reason: error.message };
    if (error instanceof CmsError) {
      const code = error.code === 'UNSUPPORTED_ALGORITHM' ? 'UNSUPPORTED_ALGORITHM' : 'FORMAT';
      return { valid: false, code, reason: error.message };
    }
    throw error;
  }
}

function verify(bytes: Uint8Array): SignedDataVerification {
  const { reader, content: signedData } = readContentInfo(bytes, Oid.signedData);
  expectTag(signedData, TagClass.universal, UniversalTag.sequence, 'SignedData', true);
  const fields = reader.children(signedData);
  const [version, digestAlgorithms, encap] = fields;
  if (version === undefined || digestAlgorithms === undefined || encap === undefined) {
    throw formatError('SignedData truncated');
  }
  expectTag(version, TagClass.universal, UniversalTag.integer, 'SignedData.version', false);
  expectTag(digestAlgorithms, TagClass.universal, UniversalTag.set, 'SignedData.digestAlgorithms', true);
  const rest = fields.slice(3);
  const certificatesField = isTag(rest[0], TagClass.context, 0) ? rest.shift() : undefined;
  if (isTag(rest[0], TagClass.context, 1)) rest.shift(); // crls: the profile has none; they change nothing here
  const [signerInfos, extra] = rest;
  if (signerInfos === undefined || extra !== undefined) throw formatError('SignedData.signerInfos malformed');
  expectTag(signerInfos, TagClass.universal, UniversalTag.set, 'SignedData.signerInfos', true);

  const signers = reader.children(signerInfos);
  if (signers.length === 0) throw new VerificationFailure('MISSING', 'no SignerInfo');
  if (signers.length > 1) throw formatError('more than one SignerInfo (the profile has exactly one)');
  const { contentType, eContent } = readEncapsulatedContent(reader, encap);
  const signer = readSignerInfo(reader, signers[0] as Tlv);

  const certificates = certificatesField === undefined ? [] : certificatesOf(reader, certificatesField);
  const certificate = certificates.find((candidate) => matchesSid(candidate, signer.sid));
  if (certificate === undefined) {
    throw new VerificationFailure('SIGNER_CERTIFICATE', 'no included certificate matches the SignerInfo sid');
  }

  const digest = digestNameOf(signer.digestAlgorithm);
  const attributes = readAttributes(reader, signer.signedAttrs, 'signedAttrs');
  const contentTypeValue = singleValued(attributes, Oid.contentType, 'contentType attribute');
  if (contentTypeValue === undefined) throw formatError('contentType attribute missing');
  expectTag(contentTypeValue, TagClass.universal, UniversalTag.oid, 'contentType attribute', false);
  if (decodeOid(reader.content(contentTypeValue)) !== contentType) {
    throw new VerificationFailure('BAD_SIGNATURE', 'contentType attribute differs from eContentType');
  }
  const messageDigest = singleValued(attributes, Oid.messageDigest, 'messageDigest attribute');
  if (messageDigest === undefined) throw formatError('messageDigest attribute missing');
  expectTag(messageDigest, TagClass.universal, UniversalTag.octetString, 'messageDigest attribute', false);

  checkAlgorithmProtection(reader, attributes, signer);
  checkSigningCertificate(reader, attributes, certificate);

  const scheme = signatureSchemeOf(signer.signatureAlgorithm, digest);
  const key = rsaPublicKeyOf(certificate);
  // The signature covers the DER of the attributes with the SET OF tag, not the [0] IMPLICIT tag.
  const signedBytes = Buffer.from(reader.bytes(signer.signedAttrs));
  signedBytes[0] = 0x31;
  if (!signatureVerifies(scheme, signedBytes, key, signer.signature)) {
    throw new VerificationFailure('BAD_SIGNATURE', 'signature does not verify');
  }

  const hash = createHash(digest);
  for (const segment of eContent.segments()) hash.update(segment);
  if (!hash.digest().equals(reader.content(messageDigest))) {
    throw new VerificationFailure('DIGEST_MISMATCH', 'content does not match the signed messageDigest');
  }

  const signingTime = readSigningTime(reader, attributes);
  const recipientEmails = recipientEmailsFrom(reader, attributes);
  return {
    valid: true,
    content: eContent.toChunks(),
    signerCertificate: certificate,
    signatureScheme: scheme.kind,
    ...(signingTime === undefined ? {} : { signingTime }),
    ...(recipientEmails === undefined ? {} : { recipientEmails }),
  };
}

function readEncapsulatedContent(
  reader: BerReader,
  encap: Tlv,
): { contentType: string; eContent: ReturnType<BerReader['octetString']> } {
  expectTag(encap, TagClass.universal, UniversalTag.sequence, 'encapContentInfo', true);
  const [type, explicit, extra] = reader.children(encap);
  if (type === undefined || extra !== undefined) throw formatError('encapContentInfo malformed');
  expectTag(type, TagClass.universal, UniversalTag.oid, 'eContentType', false);
  // KIM signatures are opaque (KOM-LE-A_2121): a detached signature is not the profile.
  if (explicit === undefined) throw formatError('eContent missing (detached signature)');
  expectTag(explicit, TagClass.context, 0, 'eContent', true);
  const [octets, more] = reader.children(explicit);
  if (octets === undefined || more !== undefined) throw formatError('eContent malformed');
  expectTag(octets, TagClass.universal, UniversalTag.octetString, 'eContent');
  return { contentType: decodeOid(reader.content(type)), eContent: reader.octetString(octets) };
}

function readSignerInfo(reader: BerReader, el: Tlv): ReadSignerInfo {
  expectTag(el, TagClass.universal, UniversalTag.sequence, 'SignerInfo', true);
  const [version, sidField, digestAlgorithm, signedAttrs, signatureAlgorithm, signature] =
    reader.children(el);
  if (
    version === undefined ||
    sidField === undefined ||
    digestAlgorithm === undefined ||
    signedAttrs === undefined
  ) {
    throw formatError('SignerInfo truncated');
  }
  expectTag(version, TagClass.universal, UniversalTag.integer, 'SignerInfo.version', false);
  // The profile signs attributes (KOM-LE-A_2127); without them there is nothing profile-conformant to check.
  if (!isTag(signedAttrs, TagClass.context, 0) || !signedAttrs.constructed)
    throw formatError('signedAttrs missing');
  if (signedAttrs.indefinite) throw formatError('signedAttrs not DER');
  if (signatureAlgorithm === undefined || signature === undefined) throw formatError('SignerInfo truncated');
  expectTag(signature, TagClass.universal, UniversalTag.octetString, 'SignerInfo.signature', false);
  let sid: Sid;
  if (isTag(sidField, TagClass.context, 0) && !sidField.constructed) {
    sid = { kind: 'subjectKeyIdentifier', ski: reader.content(sidField) };
  } else {
    sid = { kind: 'issuerAndSerial', rid: readIssuerAndSerial(reader, sidField, 'SignerInfo.sid') };
  }
  return {
    sid,
    digestAlgorithm: readAlgorithmIdentifier(reader, digestAlgorithm, 'SignerInfo.digestAlgorithm'),
    signedAttrs,
    signatureAlgorithm: readAlgorithmIdentifier(reader, signatureAlgorithm, 'SignerInfo.signatureAlgorithm'),
    signature: reader.content(signature),
  };
}

function certificatesOf(reader: BerReader, field: Tlv): Buffer[] {
  // Only plain certificates (SEQUENCE); attribute certificates and others are skipped.
  return reader
    .children(field)
    .filter((el) => isTag(el, TagClass.universal, UniversalTag.sequence))
    .map((el) => reader.bytes(el));
}

function matchesSid(certificate: Buffer, sid: Sid): boolean {
  try {
    if (sid.kind === 'issuerAndSerial') return sameIssuerAndSerial(issuerAndSerialOf(certificate), sid.rid);
    return subjectKeyIdentifierOf(certificate)?.equals(sid.ski) ?? false;
  } catch {
    // An unparseable extra certificate is not the signer's; the signer's own is checked below.
    return false;
  }
}

function checkAlgorithmProtection(
  reader: BerReader,
  attributes: readonly ReadAttribute[],
  signer: ReadSignerInfo,
): void {
  const value = singleValued(attributes, Oid.cmsAlgorithmProtection, 'CMSAlgorithmProtection');
  if (value === undefined) return;
  expectTag(value, TagClass.universal, UniversalTag.sequence, 'CMSAlgorithmProtection', true);
  const [digestAlgorithm, ...others] = reader.children(value);
  if (digestAlgorithm === undefined) throw formatError('CMSAlgorithmProtection malformed');
  const protectedDigest = readAlgorithmIdentifier(
    reader,
    digestAlgorithm,
    'CMSAlgorithmProtection.digestAlgorithm',
  );
  if (!sameAlgorithm(protectedDigest, signer.digestAlgorithm)) {
    throw new VerificationFailure('BAD_SIGNATURE', 'digestAlgorithm differs from CMSAlgorithmProtection');
  }
  const [signatureField, extra] = others;
  if (extra !== undefined || (signatureField !== undefined && !isTag(signatureField, TagClass.context, 1))) {
    throw formatError('CMSAlgorithmProtection: only a signatureAlgorithm may follow');
  }
  if (signatureField === undefined) return;
  // [1] IMPLICIT AlgorithmIdentifier: the SEQUENCE's children under a context tag.
  const asSequence = { ...signatureField, tagClass: TagClass.universal, tag: UniversalTag.sequence };
  const protectedSignature = readAlgorithmIdentifier(
    reader,
    asSequence,
    'CMSAlgorithmProtection.signatureAlgorithm',
  );
  if (!sameAlgorithm(protectedSignature, signer.signatureAlgorithm)) {
    throw new VerificationFailure('BAD_SIGNATURE', 'signatureAlgorithm differs from CMSAlgorithmProtection');
  }
}

/** signingCertificateV2, when present, must name the certificate that verified (its first ESSCertIDv2). */
function checkSigningCertificate(
  reader: BerReader,
  attributes: readonly ReadAttribute[],
  certificate: Buffer,
): void {
  const value = singleValued(attributes, Oid.signingCertificateV2, 'signingCertificateV2');
  if (value === undefined) return;
  expectTag(value, TagClass.universal, UniversalTag.sequence, 'SigningCertificateV2', true);
  const [certs] = reader.children(value);
  if (certs === undefined) throw formatError('SigningCertificateV2 malformed');
  expectTag(certs, TagClass.universal, UniversalTag.sequence, 'SigningCertificateV2.certs', true);
  const [first] = reader.children(certs);
  if (first === undefined) throw formatError('SigningCertificateV2 without ESSCertIDv2');
  expectTag(first, TagClass.universal, UniversalTag.sequence, 'ESSCertIDv2', true);
  const [hashOrAlgorithm, maybeHash] = reader.children(first);
  let digest: DigestName = 'sha256';
  let certHash = hashOrAlgorithm;
  if (isTag(hashOrAlgorithm, TagClass.universal, UniversalTag.sequence)) {
    const algorithm = readAlgorithmIdentifier(reader, hashOrAlgorithm, 'ESSCertIDv2.hashAlgorithm');
    const name = DIGEST_NAMES.get(algorithm.oid);
    if (name === undefined) throw new CmsError('UNSUPPORTED_ALGORITHM', 'ESSCertIDv2 hash algorithm');
    digest = name;
    certHash = maybeHash;
  }
  if (!isTag(certHash, TagClass.universal, UniversalTag.octetString))
    throw formatError('ESSCertIDv2.certHash missing');
  if (!createHash(digest).update(certificate).digest().equals(reader.content(certHash))) {
    throw new VerificationFailure('SIGNER_CERTIFICATE', 'signingCertificateV2 names another certificate');
  }
}

function signatureVerifies(
  scheme: SignatureScheme,
  data: Buffer,
  key: ReturnType<typeof rsaPublicKeyOf>,
  signature: Buffer,
): boolean {
  try {
    if (scheme.kind === 'RSASSA-PKCS1-v1_5') {
      return verifySignature(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    return verifySignature(
      scheme.hash,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
      signature,
    );
  } catch {
    // OpenSSL rejects some malformed signatures (wrong length) by error instead of `false`.
    return false;
  }
}

function readSigningTime(reader: BerReader, attributes: readonly ReadAttribute[]): Date | undefined {
  const value = singleValued(attributes, Oid.signingTime, 'signingTime attribute');
  if (value === undefined) return undefined;
  return decodeTime(value, reader.content(value), 'signingTime');
}
