/**
 * Creates the outer AuthEnvelopedData of a KIM message (RFC 5083, kim-domain §6.3):
 * AES-256-GCM under a fresh key and nonce, the key wrapped with RSAES-OAEP-SHA256 for every
 * recipient certificate, the recipient-emails attribute as unauthAttrs.
 *
 * Encoding: BER with indefinite lengths for the outer structure, like the gematik sample. The
 * ciphertext is `encryptedContent [0] IMPLICIT` constructed, indefinite, made of primitive
 * OCTET STRING segments of 1000 bytes, exactly the sample's (BouncyCastle's) layout, so that
 * receivers built against the sample see the shape they know. Segments are views of the
 * ciphertext buffers; only the small segment headers are new memory.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
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

/** Cuts the ciphertext into 1000-byte primitive OCTET STRINGs without copying it. */
function segmented(ciphertext: readonly Buffer[], total: number): Buffer[] {
  const out: Buffer[] = [];
  let inSegment = 0;
  for (const piece of ciphertext) {
    let offset = 0;
    while (offset < piece.length) {
      if (inSegment === 0) {
        const left = total;
        out.push(left >= ENCRYPTED_CONTENT_SEGMENT ? SEGMENT_HEADER : header(Tag.octetString, left));
        inSegment = Math.min(left, ENCRYPTED_CONTENT_SEGMENT);
      }
      const take = Math.min(inSegment, piece.length - offset);
      out.push(piece.subarray(offset, offset + take));
      offset += take;
      inSegment -= take;
      total -= take;
    }
  }
  return out;
}

/**
 * Encrypts `content` for all recipients. Synchronous: everything it needs (public keys,
 * randomness, AES-GCM) is local. Throws CmsError INVALID_ARGUMENT / UNSUPPORTED_ALGORITHM.
 */
export function createAuthEnvelopedData(options: CreateAuthEnvelopedDataOptions): CreatedAuthEnvelopedData {
  if (options.recipients.length === 0) throw new CmsError('INVALID_ARGUMENT', 'no recipients');
  const recipientEmails = options.recipients.map((r) => recipientEmailFor(r.certificate, r.email));
  const contentKey = randomBytes(32);
  const nonce = randomBytes(GCM_NONCE_LENGTH);
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
  contentKey.fill(0);
  const ciphertext: Buffer[] = [];
  let length = 0;
  for (const chunk of options.content) {
    if (chunk.length === 0) continue;
    const out = cipher.update(asBuffer(chunk));
    if (out.length > 0) ciphertext.push(out);
    length += out.length;
  }
  const last = cipher.final();
  if (last.length > 0) ciphertext.push(last);
  length += last.length;
  const mac = cipher.getAuthTag();

  const unauthAttrs =
    options.includeRecipientEmails === false
      ? []
      : [tlv(Tag.context(2), encodeRecipientEmailsAttribute(recipientEmails))];
  const indefinite = (tag: number): Buffer => Buffer.from([tag, 0x80]);
  const chunks = [
    Buffer.concat([
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
    ]),
    ...segmented(ciphertext, length),
    Buffer.concat([
      EOC, // encryptedContent
      EOC, // EncryptedContentInfo
      tlv(Tag.octetString, mac),
      ...unauthAttrs,
      EOC, // AuthEnvelopedData
      EOC, // [0]
      EOC, // ContentInfo
    ]),
  ];
  return { chunks, recipientEmails };
}
