/**
 * Parses an AuthEnvelopedData (RFC 5083; BER or DER) and decrypts it once the content key is
 * known. The plaintext is released only after the GCM tag verified.
 */
import { createDecipheriv } from 'node:crypto';
import type { IssuerAndSerial } from '../konnektor/port.js';
import {
  GCM_TAG_LENGTH,
  isOaepSha256,
  readAes256GcmParameters,
  readAlgorithmIdentifier,
} from './algorithms.js';
import type { AlgorithmIdentifierValue, GcmParameters } from './algorithms.js';
import { readAttributes } from './attributes.js';
import { decodeOid, decodeSmallInteger, expectTag, isTag, TagClass, UniversalTag } from './ber.js';
import type { BerLimits, BerReader, OctetStringValue, Tlv } from './ber.js';
import { readContentInfo } from './contentInfo.js';
import { CmsError, formatError } from './errors.js';
import { Oid } from './oids.js';
import { readIssuerAndSerial, recipientEmailsFrom } from './recipientEmails.js';
import type { RecipientEmail } from './recipientEmails.js';

export interface KeyTransRecipient {
  readonly rid: IssuerAndSerial;
  readonly keyEncryptionAlgorithm: AlgorithmIdentifierValue;
  /** True for RSAES-OAEP with SHA-256, MGF1-SHA-256 and the empty label (what a Konnektor unwraps). */
  readonly oaepSha256: boolean;
  readonly encryptedKey: Buffer;
}

export interface ParsedAuthEnvelopedData {
  /**
   * The KeyTransRecipientInfos with an issuerAndSerialNumber rid, in order. Other kinds
   * (KeyAgree, KEK, password, subjectKeyIdentifier rids) are not in the profile and are skipped.
   */
  readonly recipients: readonly KeyTransRecipient[];
  /** The unauthenticated recipient-emails attribute, when present. */
  readonly recipientEmails?: readonly RecipientEmail[];
  /** Ciphertext (= plaintext) length in bytes. */
  readonly contentLength: number;
  /**
   * Decrypts with the unwrapped content key. Returns the plaintext (one buffer) only after the
   * tag verified; otherwise throws CmsError AUTHENTICATION_FAILED and the partial plaintext is wiped.
   */
  decrypt(contentKey: Uint8Array, options?: DecryptOptions): Buffer[];
}

export interface DecryptOptions {
  /**
   * Decrypt inside the parsed input instead of a new buffer: the plaintext is a view of the
   * input and the ciphertext is gone, also after a failure (then the region is wiped). Only
   * for input the caller owns and needs no more, e.g. a freshly decoded base64 body: it saves
   * a copy of the message's size.
   */
  readonly inPlace?: boolean;
}

/** Parses `bytes` (a ContentInfo with AuthEnvelopedData). Throws CmsError FORMAT / UNSUPPORTED_ALGORITHM. */
export function parseAuthEnvelopedData(bytes: Uint8Array, limits?: BerLimits): ParsedAuthEnvelopedData {
  const { reader, content } = readContentInfo(bytes, Oid.authEnvelopedData, limits);
  expectTag(content, TagClass.universal, UniversalTag.sequence, 'AuthEnvelopedData', true);
  const fields = reader.children(content);
  const version = fields.shift();
  if (version === undefined) throw formatError('AuthEnvelopedData empty');
  expectTag(version, TagClass.universal, UniversalTag.integer, 'AuthEnvelopedData.version', false);
  if (decodeSmallInteger(reader.content(version)) !== 0)
    throw formatError('AuthEnvelopedData version must be 0');
  if (isTag(fields[0], TagClass.context, 0))
    throw formatError('originatorInfo is not allowed (KOM-LE-A_2106)');
  const [recipientInfos, encryptedContentInfo, next] = fields;
  if (recipientInfos === undefined || encryptedContentInfo === undefined || next === undefined) {
    throw formatError('AuthEnvelopedData truncated');
  }
  expectTag(recipientInfos, TagClass.universal, UniversalTag.set, 'recipientInfos', true);
  let rest = fields.slice(2);
  if (isTag(rest[0], TagClass.context, 1)) {
    // With authAttrs the AAD would be their DER; the profile has none (kim-domain §6.3).
    throw formatError('authAttrs are not part of the profile');
  }
  const mac = rest[0];
  if (mac === undefined) throw formatError('mac missing');
  expectTag(mac, TagClass.universal, UniversalTag.octetString, 'mac', false);
  rest = rest.slice(1);
  const unauthAttrs = rest[0];
  if (rest.length > 1 || (unauthAttrs !== undefined && !isTag(unauthAttrs, TagClass.context, 2))) {
    throw formatError('unexpected fields after mac');
  }

  const recipients = reader
    .children(recipientInfos)
    .map((info) => readKeyTransRecipient(reader, info))
    .filter((r): r is KeyTransRecipient => r !== undefined);
  const { gcm, ciphertext } = readEncryptedContentInfo(reader, encryptedContentInfo);
  const tag = reader.content(mac);
  if (tag.length !== gcm.tagLength) throw formatError('mac length differs from ICVlen');
  if (unauthAttrs !== undefined && !unauthAttrs.constructed) throw formatError('unauthAttrs malformed');
  const recipientEmails =
    unauthAttrs === undefined
      ? undefined
      : recipientEmailsFrom(reader, readAttributes(reader, unauthAttrs, 'unauthAttrs'));

  return {
    recipients,
    ...(recipientEmails === undefined ? {} : { recipientEmails }),
    contentLength: ciphertext.length,
    decrypt: decryptor(gcm, tag, ciphertext),
  };
}

function readKeyTransRecipient(reader: BerReader, info: Tlv): KeyTransRecipient | undefined {
  // KeyTransRecipientInfo is the untagged SEQUENCE alternative of the RecipientInfo CHOICE.
  if (!isTag(info, TagClass.universal, UniversalTag.sequence)) return undefined;
  const [version, rid, algorithm, encryptedKey, extra] = reader.children(info);
  if (version === undefined || rid === undefined || algorithm === undefined || encryptedKey === undefined) {
    throw formatError('KeyTransRecipientInfo truncated');
  }
  if (extra !== undefined) throw formatError('KeyTransRecipientInfo has extra fields');
  expectTag(version, TagClass.universal, UniversalTag.integer, 'KeyTransRecipientInfo.version', false);
  expectTag(encryptedKey, TagClass.universal, UniversalTag.octetString, 'encryptedKey', false);
  if (isTag(rid, TagClass.context, 0)) return undefined; // subjectKeyIdentifier: not the profile's rid
  const keyEncryptionAlgorithm = readAlgorithmIdentifier(reader, algorithm, 'keyEncryptionAlgorithm');
  return {
    rid: readIssuerAndSerial(reader, rid, 'KeyTransRecipientInfo.rid'),
    keyEncryptionAlgorithm: {
      oid: keyEncryptionAlgorithm.oid,
      ...(keyEncryptionAlgorithm.parameters === undefined
        ? {}
        : { parameters: Buffer.from(keyEncryptionAlgorithm.parameters) }),
    },
    oaepSha256: isOaepSha256(keyEncryptionAlgorithm),
    encryptedKey: Buffer.from(reader.content(encryptedKey)),
  };
}

function readEncryptedContentInfo(
  reader: BerReader,
  el: Tlv,
): { gcm: GcmParameters; ciphertext: OctetStringValue } {
  expectTag(el, TagClass.universal, UniversalTag.sequence, 'authEncryptedContentInfo', true);
  const [type, algorithm, encryptedContent, extra] = reader.children(el);
  if (type === undefined || algorithm === undefined || extra !== undefined) {
    throw formatError('authEncryptedContentInfo malformed');
  }
  expectTag(type, TagClass.universal, UniversalTag.oid, 'contentType', false);
  if (decodeOid(reader.content(type)) !== Oid.data)
    throw formatError('encrypted content type must be id-data');
  const gcm = readAes256GcmParameters(
    reader,
    readAlgorithmIdentifier(reader, algorithm, 'contentEncryptionAlgorithm'),
  );
  // KOM-LE-A_2112: the ciphertext is inside the message, never detached.
  if (encryptedContent === undefined) throw formatError('encryptedContent missing');
  expectTag(encryptedContent, TagClass.context, 0, 'encryptedContent');
  return { gcm, ciphertext: reader.octetString(encryptedContent) };
}

/**
 * Decrypted per call. The decipher's output is taken as latin1 strings (byte for byte) and
 * written into the region: the strings are young garbage whose collection also frees the
 * decipher's own output buffers. Taken as Buffers, those piled up unreclaimed (V8 collects
 * external memory early only past 32 MB): `kim smime open` of a 25 MB message peaked 22 MB
 * higher, and was slower for touching fresh memory.
 */
const DECRYPT_BLOCK = 64 * 1024;

/** The ciphertext copied into a new buffer (decrypted there). */
function gathered(ciphertext: OctetStringValue): Buffer {
  const region = Buffer.allocUnsafeSlow(ciphertext.length);
  let offset = 0;
  for (const segment of ciphertext.segments()) offset += segment.copy(region, offset);
  return region;
}

function decryptor(
  gcm: GcmParameters,
  tag: Buffer,
  ciphertext: OctetStringValue,
): ParsedAuthEnvelopedData['decrypt'] {
  let consumed = false;
  return (contentKey, options) => {
    if (contentKey.length !== 32)
      throw new CmsError('KEY_UNWRAP_FAILED', 'content key is not an AES-256 key');
    if (consumed) throw new Error('internal: the ciphertext was decrypted in place already');
    consumed = options?.inPlace === true;
    return decrypt(contentKey, gcm, tag, consumed ? ciphertext.moveTogether() : gathered(ciphertext));
  };
}

/** Decrypts `region` where it is. The caller's plaintext exists only after the tag verified. */
function decrypt(contentKey: Uint8Array, gcm: GcmParameters, tag: Buffer, region: Buffer): Buffer[] {
  const decipher = createDecipheriv('aes-256-gcm', contentKey, gcm.nonce, { authTagLength: GCM_TAG_LENGTH });
  decipher.setAuthTag(tag);
  let offset = 0;
  try {
    for (let block = 0; block < region.length; block += DECRYPT_BLOCK) {
      const plaintext = decipher.update(region.subarray(block, block + DECRYPT_BLOCK), undefined, 'latin1');
      offset += region.write(plaintext, block, 'latin1');
    }
    offset += region.write(decipher.final('latin1'), offset, 'latin1');
  } catch (error) {
    // Unauthenticated plaintext must never be acted on (kim-domain §6.4); do not even leave it around.
    region.fill(0);
    throw new CmsError('AUTHENTICATION_FAILED', 'GCM tag does not verify', { cause: error });
  }
  if (offset !== region.length) throw formatError('internal: plaintext length mismatch');
  return region.length === 0 ? [] : [region];
}
