/**
 * AlgorithmIdentifiers: the exact encodings this codec emits, and decoding of what peers send.
 * Parameters are read with the codec's own BER reader (no asn1-schema: loading it cost a
 * command-line run ~0.1 s and ~15 MB before any work).
 */
import { BerReader, decodeOid, decodeSmallInteger, expectTag, isTag, TagClass, UniversalTag } from './ber.js';
import type { Tlv } from './ber.js';
import { NULL, oid, sequence, smallInteger, Tag, tlv } from './der.js';
import { CmsError, formatError } from './errors.js';
import { DIGEST_NAMES, Oid } from './oids.js';

export type DigestName = 'sha256' | 'sha384' | 'sha512';

export interface AlgorithmIdentifierValue {
  readonly oid: string;
  /** The parameters element as encoded, absent when the field is absent. */
  readonly parameters?: Buffer;
}

/** Limits for the small parts read on their own (parameters, times): a few hundred bytes at most. */
export const SMALL_PART_LIMITS = { maxDepth: 16, maxNodes: 1_000 } as const;

/** An AlgorithmIdentifier as read from a message; `parametersTlv` locates the parameters in the reader. */
export interface ReadAlgorithm extends AlgorithmIdentifierValue {
  readonly parametersTlv?: Tlv;
}

export function readAlgorithmIdentifier(reader: BerReader, el: Tlv, what: string): ReadAlgorithm {
  expectTag(el, TagClass.universal, UniversalTag.sequence, what, true);
  const [algorithm, parameters, extra] = reader.children(el);
  if (algorithm === undefined || extra !== undefined)
    throw formatError(`${what}: malformed AlgorithmIdentifier`);
  expectTag(algorithm, TagClass.universal, UniversalTag.oid, what, false);
  const value = { oid: decodeOid(reader.content(algorithm)) };
  return parameters === undefined
    ? value
    : { ...value, parameters: reader.bytes(parameters), parametersTlv: parameters };
}

/** True for absent parameters and for NULL, which RFC 4055 §2.1 says must be treated alike. */
function isAbsentOrNull(parameters: Buffer | undefined): boolean {
  return parameters === undefined || parameters.equals(NULL);
}

/** Same algorithm and same parameters (absent and NULL counted equal), as CMSAlgorithmProtection requires. */
export function sameAlgorithm(a: AlgorithmIdentifierValue, b: AlgorithmIdentifierValue): boolean {
  if (a.oid !== b.oid) return false;
  if (isAbsentOrNull(a.parameters) && isAbsentOrNull(b.parameters)) return true;
  return a.parameters !== undefined && b.parameters !== undefined && a.parameters.equals(b.parameters);
}

export function digestNameOf(algorithm: AlgorithmIdentifierValue): DigestName {
  const name = DIGEST_NAMES.get(algorithm.oid);
  if (name === undefined || !isAbsentOrNull(algorithm.parameters)) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', `digest algorithm ${algorithm.oid} not supported`);
  }
  return name;
}

// --- What we emit -------------------------------------------------------------------------------

/** sha256 with absent parameters, as RFC 5754 asks for digestAlgorithm fields. */
export const SHA256 = sequence(oid(Oid.sha256));
/** sha256 with NULL parameters: RFC 4055's sha256Identifier inside PSS and OAEP parameters. */
const SHA256_NULL = sequence(oid(Oid.sha256), NULL);
const MGF1_SHA256 = sequence(oid(Oid.mgf1), SHA256_NULL);

/** id-RSASSA-PSS { [0] sha256, [1] mgf1(sha256), [2] 32 } (kim-domain §6.5); trailerField default. */
export const RSASSA_PSS_SHA256 = sequence(
  oid(Oid.rsassaPss),
  sequence(
    tlv(Tag.context(0), SHA256_NULL),
    tlv(Tag.context(1), MGF1_SHA256),
    tlv(Tag.context(2), smallInteger(32)),
  ),
);

/** rsaesOaep { [0] sha256 (NULL), [1] mgf1(sha256) }, pSourceFunc default (empty label) (kim-domain §6.3). */
export const RSAES_OAEP_SHA256 = sequence(
  oid(Oid.rsaesOaep),
  sequence(tlv(Tag.context(0), SHA256_NULL), tlv(Tag.context(1), MGF1_SHA256)),
);

export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

/** id-aes256-GCM with GCMParameters { nonce, ICVlen 16 }; ICVlen must be written, its default is 12. */
export function aes256GcmAlgorithm(nonce: Buffer): Buffer {
  return sequence(oid(Oid.aes256Gcm), sequence(tlv(Tag.octetString, nonce), smallInteger(GCM_TAG_LENGTH)));
}

// --- Decoding what peers send -------------------------------------------------------------------

/** A hash AlgorithmIdentifier inside PSS parameters: absent or NULL parameters only (RFC 4055). */
function hashOf(algorithm: AlgorithmIdentifierValue): string {
  if (!isAbsentOrNull(algorithm.parameters))
    throw new CmsError('UNSUPPORTED_ALGORITHM', 'hash parameters not NULL');
  return algorithm.oid;
}

function mgf1HashOf(algorithm: AlgorithmIdentifierValue): string {
  const parameters = algorithm.parameters;
  if (algorithm.oid !== Oid.mgf1 || parameters === undefined || parameters.equals(NULL)) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', `mask generation ${algorithm.oid} not supported`);
  }
  const reader = new BerReader(parameters, SMALL_PART_LIMITS);
  return hashOf(readAlgorithmIdentifier(reader, reader.root(), 'MGF1 hash'));
}

interface PssParameters {
  readonly hash: string;
  readonly mgf1Hash: string;
  readonly saltLength: number;
  readonly trailerField: number;
}

const SHA1 = '1.3.14.3.2.26';

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) with its defaults: sha1, mgf1(sha1), salt 20, trailer 1.
 * Fields must come in order, each at most once. Throws CmsError FORMAT when malformed.
 */
function readPssParameters(parameters: Buffer): PssParameters {
  const reader = new BerReader(parameters, SMALL_PART_LIMITS);
  const params = expectTag(reader.root(), TagClass.universal, UniversalTag.sequence, 'RSASSA-PSS', true);
  let hash = SHA1;
  let mgf1Hash = SHA1;
  let saltLength = 20;
  let trailerField = 1;
  let last = -1;
  for (const field of reader.children(params)) {
    if (field.tagClass !== TagClass.context || field.tag <= last || field.tag > 3)
      throw formatError('RSASSA-PSS: malformed parameters');
    last = field.tag;
    if (field.tag === 0) hash = hashOf(explicitAlgorithm(reader, field));
    else if (field.tag === 1) mgf1Hash = mgf1HashOf(explicitAlgorithm(reader, field));
    else {
      const [value, extra] = reader.children(field);
      if (value === undefined || extra !== undefined) throw formatError('RSASSA-PSS: malformed parameters');
      expectTag(value, TagClass.universal, UniversalTag.integer, 'RSASSA-PSS', false);
      const number = decodeSmallInteger(reader.content(value));
      if (field.tag === 2) saltLength = number;
      else trailerField = number;
    }
  }
  return { hash, mgf1Hash, saltLength, trailerField };
}

export type SignatureScheme =
  | { readonly kind: 'RSASSA-PSS'; readonly hash: DigestName; readonly saltLength: number }
  | { readonly kind: 'RSASSA-PKCS1-v1_5'; readonly hash: DigestName };

const PKCS1_WITH_HASH: ReadonlyMap<string, DigestName> = new Map([
  [Oid.sha256WithRSAEncryption, 'sha256'],
  [Oid.sha384WithRSAEncryption, 'sha384'],
  [Oid.sha512WithRSAEncryption, 'sha512'],
]);

/** The RSA signature scheme a SignerInfo names; `digest` is its digestAlgorithm. */
export function signatureSchemeOf(algorithm: AlgorithmIdentifierValue, digest: DigestName): SignatureScheme {
  if (algorithm.oid === Oid.rsaEncryption) return { kind: 'RSASSA-PKCS1-v1_5', hash: digest };
  const withHash = PKCS1_WITH_HASH.get(algorithm.oid);
  if (withHash !== undefined) return { kind: 'RSASSA-PKCS1-v1_5', hash: withHash };
  if (algorithm.oid !== Oid.rsassaPss) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', `signature algorithm ${algorithm.oid} not supported`);
  }
  if (algorithm.parameters === undefined) throw formatError('RSASSA-PSS without parameters');
  const params = readPssParameters(algorithm.parameters);
  const hash = DIGEST_NAMES.get(params.hash);
  // node:crypto uses the message digest for MGF1 too, so other combinations cannot be checked.
  if (hash === undefined || DIGEST_NAMES.get(params.mgf1Hash) !== hash) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', 'RSASSA-PSS hash or MGF1 hash not supported');
  }
  if (params.trailerField !== 1) throw new CmsError('UNSUPPORTED_ALGORITHM', 'RSASSA-PSS trailerField');
  return { kind: 'RSASSA-PSS', hash, saltLength: params.saltLength };
}

/** An AlgorithmIdentifier inside `[n]`: sha256 (absent or NULL parameters) or mgf1(sha256). */
function explicitAlgorithm(reader: BerReader, el: Tlv): AlgorithmIdentifierValue {
  const [inner, extra] = reader.children(el);
  if (inner === undefined || extra !== undefined) throw formatError('malformed explicit AlgorithmIdentifier');
  return readAlgorithmIdentifier(reader, inner, 'AlgorithmIdentifier');
}

function isSha256(algorithm: AlgorithmIdentifierValue): boolean {
  return algorithm.oid === Oid.sha256 && isAbsentOrNull(algorithm.parameters);
}

/**
 * True when a keyEncryptionAlgorithm is RSAES-OAEP with SHA-256, MGF1-SHA-256 and the empty
 * label: the only key transport a Konnektor's RSA unwrap performs. Absent fields mean the
 * SHA-1 defaults, so only fields that are present and say SHA-256 count.
 */
export function isOaepSha256(algorithm: AlgorithmIdentifierValue): boolean {
  if (algorithm.oid !== Oid.rsaesOaep || algorithm.parameters === undefined) return false;
  try {
    const reader = new BerReader(algorithm.parameters, { maxDepth: 8, maxNodes: 100 });
    const params = expectTag(
      reader.root(),
      TagClass.universal,
      UniversalTag.sequence,
      'RSAES-OAEP-params',
      true,
    );
    let hash = false;
    let mgf1 = false;
    for (const field of reader.children(params)) {
      if (isTag(field, TagClass.context, 0)) hash = isSha256(explicitAlgorithm(reader, field));
      else if (isTag(field, TagClass.context, 1)) {
        const mgf = explicitAlgorithm(reader, field);
        const inner =
          mgf.parameters === undefined
            ? undefined
            : new BerReader(mgf.parameters, { maxDepth: 4, maxNodes: 20 });
        mgf1 =
          mgf.oid === Oid.mgf1 &&
          inner !== undefined &&
          isSha256(readAlgorithmIdentifier(inner, inner.root(), 'MGF1 hash'));
      } else if (isTag(field, TagClass.context, 2)) {
        // pSourceFunc present: only pSpecified with the empty label is the default.
        const source = explicitAlgorithm(reader, field);
        if (source.oid !== Oid.pSpecified || !source.parameters?.equals(Buffer.from([0x04, 0x00])))
          return false;
      } else return false;
    }
    return hash && mgf1;
  } catch {
    // Unparseable parameters simply mean "not the OAEP variant we can unwrap".
    return false;
  }
}

export interface GcmParameters {
  readonly nonce: Buffer;
  readonly tagLength: number;
}

/** The content-encryption algorithm must be id-aes256-GCM with a 12-byte nonce and a 16-byte tag. */
export function readAes256GcmParameters(reader: BerReader, algorithm: ReadAlgorithm): GcmParameters {
  if (algorithm.oid !== Oid.aes256Gcm) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', `content encryption ${algorithm.oid} not supported`);
  }
  const params = algorithm.parametersTlv;
  if (params === undefined) throw formatError('GCMParameters missing');
  expectTag(params, TagClass.universal, UniversalTag.sequence, 'GCMParameters', true);
  const [nonce, icvLength, extra] = reader.children(params);
  if (nonce === undefined || extra !== undefined) throw formatError('GCMParameters malformed');
  expectTag(nonce, TagClass.universal, UniversalTag.octetString, 'GCM nonce', false);
  const tagLength =
    icvLength === undefined
      ? 12
      : decodeSmallInteger(
          reader.content(expectTag(icvLength, TagClass.universal, UniversalTag.integer, 'ICVlen')),
        );
  if (nonce.contentEnd - nonce.contentStart !== GCM_NONCE_LENGTH || tagLength !== GCM_TAG_LENGTH) {
    throw new CmsError('UNSUPPORTED_ALGORITHM', 'GCM nonce must be 12 bytes and the tag 16 bytes');
  }
  return { nonce: reader.content(nonce), tagLength };
}
