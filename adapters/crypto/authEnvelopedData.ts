/**
 * Creates the outer AuthEnvelopedData of a KIM message (RFC 5083, kim-domain §6.3):
 * AES-256-GCM under a fresh key and nonce, the key wrapped with RSAES-OAEP-SHA256 for every
 * recipient certificate, the recipient-emails attribute as unauthAttrs.
 *
 * Encoding: BER with indefinite lengths for the outer structure, like the gematik sample. The
 * ciphertext is `encryptedContent [0] IMPLICIT` constructed, indefinite, made of primitive
 * OCTET STRING segments of 1000 bytes, exactly the sample's (BouncyCastle's) layout, so that
 * receivers built against the sample see the shape they know.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import type { CipherGCM } from 'node:crypto';
import { aes256GcmAlgorithm, GCM_NONCE_LENGTH, GCM_TAG_LENGTH, RSAES_OAEP_SHA256 } from './algorithms.js';
import { encodeIssuerAndSerial, rsaPublicKeyOf } from './certificate.js';
import { header, oid, sequence, smallInteger, Tag, tlv } from './der.js';
import { CmsError } from './errors.js';
import { Oid } from './oids.js';
import { encodeRecipientEmailsAttribute, recipientEmailFor } from './recipientEmails.js';
import type { RecipientEmail } from './recipientEmails.js';
import { asBuffer } from './signedData.js';

export interface EnvelopeRecipient {
  /** The encryption certificate (C.HCI.ENC / C.HP.ENC), DER. */
  readonly certificate: Buffer;
  /** The KIM address the certificate belongs to. */
  readonly email: string;
}

export interface CreateAuthEnvelopedDataOptions {
  /** The plaintext (the signed S/MIME entity, kim-domain §6.1 step 3) as a chunk list. */
  readonly content: readonly Uint8Array[];
  /** One entry per certificate: every recipient's and the sender's (KOM-LE-A_2111-01). */
  readonly recipients: readonly EnvelopeRecipient[];
  /**
   * Write recipient-emails as unauthAttrs (KOM-LE-A_2107, default true). Off only for peers
   * that cannot parse the field, such as OpenSSL 3.0 (its template mis-tags it).
   */
  readonly includeRecipientEmails?: boolean;
}

export interface CreatedAuthEnvelopedData {
  /** The BER ContentInfo as a chunk list. */
  readonly chunks: Buffer[];
  /** One entry per RecipientInfo, in order; sign exactly these (KOM-LE-A_2127). */
  readonly recipientEmails: RecipientEmail[];
}

/** BouncyCastle's (and the gematik sample's) segment size for BER OCTET STRINGs. */
export const ENCRYPTED_CONTENT_SEGMENT = 1000;

/**
 * Plaintext encrypted per cipher call: a 25 MB content given whole would otherwise exist as
 * ciphertext and as segmented output at once.
 */
const ENCRYPTION_SLICE = 256 * 1024;

const EOC = Buffer.from([0, 0]);
const SEGMENT_HEADER = header(Tag.octetString, ENCRYPTED_CONTENT_SEGMENT);

function keyTransRecipientInfo(recipient: EnvelopeRecipient, rid: Buffer, contentKey: Buffer): Buffer {
  const key = rsaPublicKeyOf(recipient.certificate);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CmsError('UNSUPPORTED_ALGORITHM', 'recipient key cannot do RSAES-OAEP');
  }
  const encryptedKey = publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    contentKey,
  );
  return sequence(smallInteger(0), rid, RSAES_OAEP_SHA256, tlv(Tag.octetString, encryptedKey));
}

export type AuthEnvelopedDataEncryptorOptions = Omit<CreateAuthEnvelopedDataOptions, 'content'>;

/**
 * An AuthEnvelopedData written as the plaintext arrives: `header`, then what every `update`
 * returns, then what `final` returns. The encoding is the same as createAuthEnvelopedData's.
 */
export interface AuthEnvelopedDataEncryptor {
  /** One entry per RecipientInfo, in order; sign exactly these (KOM-LE-A_2127). */
  readonly recipientEmails: RecipientEmail[];
  /** Everything before the ciphertext: the RecipientInfos and the algorithm with its nonce. */
  readonly header: Buffer;
  /** Encrypts the next plaintext bytes; returns the encoding that follows (new buffers). */
  update(plaintext: Uint8Array): Buffer[];
  /** The last segment, the tag (mac) and the unauthAttrs. */
  final(): Buffer[];
}

/**
 * Starts an AuthEnvelopedData for all recipients: fresh key and nonce, the key wrapped for
 * each certificate. Throws CmsError INVALID_ARGUMENT / UNSUPPORTED_ALGORITHM.
 */
export function createAuthEnvelopedDataEncryptor(
  options: AuthEnvelopedDataEncryptorOptions,
): AuthEnvelopedDataEncryptor {
  if (options.recipients.length === 0) throw new CmsError('INVALID_ARGUMENT', 'no recipients');
  const recipientEmails = options.recipients.map((r) => recipientEmailFor(r.certificate, r.email));
  const contentKey = randomBytes(32);
  const nonce = randomBytes(GCM_NONCE_LENGTH);
  try {
    const recipientInfos = tlv(
      Tag.set,
      ...options.recipients.map((recipient, i) =>
        keyTransRecipientInfo(
          recipient,
          encodeIssuerAndSerial((recipientEmails[i] as RecipientEmail).rid),
          contentKey,
        ),
      ),
    );
    const cipher = createCipheriv('aes-256-gcm', contentKey, nonce, { authTagLength: GCM_TAG_LENGTH });
    const header = Buffer.concat([
      indefinite(Tag.sequence), // ContentInfo
      oid(Oid.authEnvelopedData),
      indefinite(Tag.context(0)),
      indefinite(Tag.sequence), // AuthEnvelopedData
      smallInteger(0),
      recipientInfos,
      indefinite(Tag.sequence), // EncryptedContentInfo
      oid(Oid.data),
      aes256GcmAlgorithm(nonce),
      indefinite(Tag.context(0)), // encryptedContent [0] IMPLICIT OCTET STRING, constructed
    ]);
    return new SegmentingEncryptor(cipher, header, recipientEmails, options.includeRecipientEmails !== false);
  } finally {
    contentKey.fill(0);
  }
}

const indefinite = (tag: number): Buffer => Buffer.from([tag, 0x80]);

/**
 * Cuts the ciphertext into 1000-byte primitive OCTET STRINGs. Each update's output is one
 * buffer with the segment headers in place: a consumer such as a base64 encoder handles one
 * large piece far faster than two views per segment (52,000 for a 25 MB message).
 */
class SegmentingEncryptor implements AuthEnvelopedDataEncryptor {
  /** The start of the next segment, fewer than ENCRYPTED_CONTENT_SEGMENT bytes. */
  readonly #partial = Buffer.allocUnsafe(ENCRYPTED_CONTENT_SEGMENT);
  #partialLength = 0;
  #finished = false;

  constructor(
    private readonly cipher: CipherGCM,
    readonly header: Buffer,
    readonly recipientEmails: RecipientEmail[],
    private readonly includeRecipientEmails: boolean,
  ) {}

  update(plaintext: Uint8Array): Buffer[] {
    if (this.#finished) throw new Error('internal: update after final');
    const bytes = asBuffer(plaintext);
    const out: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += ENCRYPTION_SLICE) {
      const ciphertext = this.cipher.update(bytes.subarray(offset, offset + ENCRYPTION_SLICE));
      for (const piece of this.#segmented(ciphertext)) out.push(piece);
    }
    return out;
  }

  final(): Buffer[] {
    if (this.#finished) throw new Error('internal: final twice');
    this.#finished = true;
    // Empty for GCM; segmented anyway, should a cipher ever hold bytes back.
    const out = this.#segmented(this.cipher.final());
    if (this.#partialLength > 0) {
      out.push(
        Buffer.concat([
          header(Tag.octetString, this.#partialLength),
          this.#partial.subarray(0, this.#partialLength),
        ]),
      );
    }
    const unauthAttrs = this.includeRecipientEmails
      ? [tlv(Tag.context(2), encodeRecipientEmailsAttribute(this.recipientEmails))]
      : [];
    out.push(
      Buffer.concat([
        EOC, // encryptedContent
        EOC, // EncryptedContentInfo
        tlv(Tag.octetString, this.cipher.getAuthTag()),
        ...unauthAttrs,
        EOC, // AuthEnvelopedData
        EOC, // [0]
        EOC, // ContentInfo
      ]),
    );
    return out;
  }

  /** The complete segments of what was pending and `ciphertext`; the rest waits in #partial. */
  #segmented(ciphertext: Buffer): Buffer[] {
    const size = ENCRYPTED_CONTENT_SEGMENT;
    const segments = Math.floor((this.#partialLength + ciphertext.length) / size);
    if (segments === 0) {
      this.#partialLength += ciphertext.copy(this.#partial, this.#partialLength);
      return [];
    }
    const out = Buffer.allocUnsafe(segments * (SEGMENT_HEADER.length + size));
    let o = 0;
    let c = 0;
    for (let segment = 0; segment < segments; segment++) {
      o += SEGMENT_HEADER.copy(out, o);
      if (segment === 0 && this.#partialLength > 0) o += this.#partial.copy(out, o, 0, this.#partialLength);
      const take = size - (segment === 0 ? this.#partialLength : 0);
      o += ciphertext.copy(out, o, c, c + take);
      c += take;
    }
    this.#partialLength = ciphertext.copy(this.#partial, 0, c);
    return [out];
  }
}

/**
 * Encrypts `content` for all recipients. Synchronous: everything it needs (public keys,
 * randomness, AES-GCM) is local. Throws CmsError INVALID_ARGUMENT / UNSUPPORTED_ALGORITHM.
 */
export function createAuthEnvelopedData(options: CreateAuthEnvelopedDataOptions): CreatedAuthEnvelopedData {
  const encryptor = createAuthEnvelopedDataEncryptor(options);
  const chunks = [encryptor.header];
  for (const chunk of options.content) chunks.push(...encryptor.update(chunk));
  chunks.push(...encryptor.final());
  return { chunks, recipientEmails: encryptor.recipientEmails };
}
