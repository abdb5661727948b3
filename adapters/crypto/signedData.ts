/**
 * Creates the inner SignedData of a KIM message (kim-domain §6.5, KOM-LE-A_2118 … A_2127):
 * opaque (the content is inside), one signer, the signer's certificate only, RSASSA-PSS,
 * the signed attributes the profile lists. DER; the content is referenced, not copied.
 */
import { constants, createHash, verify } from 'node:crypto';
import type { RecipientEmail } from './recipientEmails.js';
import { encodeRecipientEmailsAttribute } from './recipientEmails.js';
import { RSASSA_PSS_SHA256, SHA256 } from './algorithms.js';
import { encodeAttribute } from './attributes.js';
import { encodeIssuerAndSerial, issuerAndSerialOf, rsaPublicKeyOf, sha256 } from './certificate.js';
import { contentInfoPrefix } from './contentInfo.js';
import { header, oid, sequence, setOf, smallInteger, Tag, tlv, utcTime } from './der.js';
import { CmsError } from './errors.js';
import { Oid } from './oids.js';

/** Signs with the sender's C.HCI.OSIG key; in production the Konnektor's `signWithOsig`. */
export interface CmsSigner {
  /** The signer's certificate, DER. */
  readonly certificate: Buffer;
  /** RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over `data`, the DER of the signed attributes. */
  sign(data: Buffer): Promise<Buffer>;
}

export interface CreateSignedDataOptions {
  /** The content (kim-domain §6.1 step 1) as a chunk list; it is not copied. */
  readonly content: readonly Uint8Array[];
  readonly signer: CmsSigner;
  /** The entries for the signed recipient-emails attribute (KOM-LE-A_2127); at least one. */
  readonly recipientEmails: readonly RecipientEmail[];
  /** Default: now. */
  readonly signingTime?: Date;
}

export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** SigningCertificateV2 { certs { ESSCertIDv2 { certHash, issuerSerial } } }; hashAlgorithm is the sha256 default. */
function signingCertificateV2(certificate: Buffer): Buffer {
  const { issuer, serialNumber } = issuerAndSerialOf(certificate);
  const generalNames = sequence(tlv(Tag.context(4), issuer)); // directoryName [4], explicit because Name is a CHOICE
  const issuerSerial = sequence(generalNames, tlv(Tag.integer, serialNumber));
  return sequence(sequence(sequence(tlv(Tag.octetString, sha256(certificate)), issuerSerial)));
}

/** CMSAlgorithmProtection { digestAlgorithm, signatureAlgorithm [1] IMPLICIT } (RFC 6211). */
function algorithmProtection(): Buffer {
  const signatureAlgorithm = Buffer.from(RSASSA_PSS_SHA256);
  signatureAlgorithm[0] = Tag.context(1);
  return sequence(SHA256, signatureAlgorithm);
}

/** The signed attributes as the DER SET OF that is signed (tag 0x31), sorted by encoding. */
export function signedAttributes(options: {
  readonly digest: Buffer;
  readonly certificate: Buffer;
  readonly recipientEmails: readonly RecipientEmail[];
  readonly signingTime: Date;
}): Buffer {
  let time: Buffer;
  try {
    time = utcTime(options.signingTime);
  } catch (error) {
    throw new CmsError('INVALID_ARGUMENT', 'signingTime outside 1950-2049', { cause: error });
  }
  return setOf([
    encodeAttribute(Oid.contentType, [oid(Oid.data)]),
    encodeAttribute(Oid.signingTime, [time]),
    encodeAttribute(Oid.messageDigest, [tlv(Tag.octetString, options.digest)]),
    encodeAttribute(Oid.cmsAlgorithmProtection, [algorithmProtection()]),
    encodeAttribute(Oid.signingCertificateV2, [signingCertificateV2(options.certificate)]),
    encodeRecipientEmailsAttribute(options.recipientEmails),
  ]);
}

export interface SignedDataFrameOptions {
  /** Length in bytes of the content that goes between prefix and suffix. */
  readonly contentLength: number;
  /** SHA-256 of that content. */
  readonly contentDigest: Buffer;
  readonly signer: CmsSigner;
  /** The entries for the signed recipient-emails attribute (KOM-LE-A_2127); at least one. */
  readonly recipientEmails: readonly RecipientEmail[];
  /** Default: now. */
  readonly signingTime?: Date;
}

/** The DER around the content: `prefix`, the content bytes, `suffix` form the ContentInfo. */
export interface SignedDataFrame {
  readonly prefix: Buffer;
  readonly suffix: Buffer;
}

/**
 * Signs a content known only by its length and digest, so that a large content can be read
 * twice (digest, then output) instead of being held in memory. DER needs the lengths up front,
 * which is why the length is part of the input. Throws CmsError INVALID_ARGUMENT.
 */
export async function createSignedDataFrame(options: SignedDataFrameOptions): Promise<SignedDataFrame> {
  const { contentLength } = options;
  const certificate = options.signer.certificate;
  if (!Number.isSafeInteger(contentLength) || contentLength < 0)
    throw new CmsError('INVALID_ARGUMENT', 'content length must be a non-negative integer');
  if (options.contentDigest.length !== 32)
    throw new CmsError('INVALID_ARGUMENT', 'content digest must be SHA-256');
  let sid: Buffer;
  try {
    sid = encodeIssuerAndSerial(issuerAndSerialOf(certificate));
  } catch (error) {
    throw new CmsError('INVALID_ARGUMENT', 'signer certificate not parseable', { cause: error });
  }

  const attributes = signedAttributes({
    digest: options.contentDigest,
    certificate,
    recipientEmails: options.recipientEmails,
    signingTime: options.signingTime ?? new Date(),
  });
  const signature = await options.signer.sign(attributes);
  // A card whose key does not belong to the certificate would send mails nobody can verify.
  const key = rsaPublicKeyOf(certificate);
  const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  if (!verify('sha256', attributes, pss, signature)) {
    throw new CmsError('INVALID_ARGUMENT', 'the signature does not verify with the signer certificate');
  }

  const implicitAttributes = Buffer.from(attributes);
  implicitAttributes[0] = Tag.context(0); // signedAttrs [0] IMPLICIT SET OF Attribute
  const signerInfo = sequence(
    smallInteger(1),
    sid,
    SHA256,
    implicitAttributes,
    RSASSA_PSS_SHA256,
    tlv(Tag.octetString, signature),
  );
  const suffix = Buffer.concat([tlv(Tag.context(0), certificate), tlv(Tag.set, signerInfo)]);

  const eContentHeader = header(Tag.octetString, contentLength);
  const eContentLength = eContentHeader.length + contentLength;
  const explicitHeader = header(Tag.context(0), eContentLength);
  const typeOid = oid(Oid.data);
  const encapLength = typeOid.length + explicitHeader.length + eContentLength;
  const encapHeader = header(Tag.sequence, encapLength);
  const head = Buffer.concat([smallInteger(1), setOf([SHA256])]);
  const signedDataLength = head.length + encapHeader.length + encapLength + suffix.length;
  const signedDataHeader = header(Tag.sequence, signedDataLength);

  const prefix = Buffer.concat([
    contentInfoPrefix(Oid.signedData, signedDataHeader.length + signedDataLength),
    signedDataHeader,
    head,
    encapHeader,
    typeOid,
    explicitHeader,
    eContentHeader,
  ]);
  return { prefix, suffix };
}

/**
 * The DER ContentInfo(SignedData) as a chunk list: a prefix, the caller's content chunks
 * unchanged, and a suffix with certificate and SignerInfo.
 */
export async function createSignedData(options: CreateSignedDataOptions): Promise<Buffer[]> {
  const content = options.content.map(asBuffer).filter((chunk) => chunk.length > 0);
  const hash = createHash('sha256');
  let contentLength = 0;
  for (const chunk of content) {
    hash.update(chunk);
    contentLength += chunk.length;
  }
  const { prefix, suffix } = await createSignedDataFrame({
    contentLength,
    contentDigest: hash.digest(),
    signer: options.signer,
    recipientEmails: options.recipientEmails,
    ...(options.signingTime === undefined ? {} : { signingTime: options.signingTime }),
  });
  return [prefix, ...content, suffix];
}
