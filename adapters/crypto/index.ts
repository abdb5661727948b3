/**
 * The CMS codec of the KIM S/MIME profile (kim-domain §6): SignedData inside, AuthEnvelopedData
 * outside, the recipient-emails attribute in both. ASN.1 by a bounded BER reader and a small DER
 * writer, all cryptography by node:crypto.
 */

/** Typed errors; `code` maps to X-KIM-DecryptionResult (see errors.ts). */
export { CmsError } from './errors.js';
export type { CmsErrorCode } from './errors.js';

/** recipient-emails entries: build one from a certificate, encode/decode the attribute, compare, look up. */
export {
  decodeRecipientEmailsAttribute,
  encodeRecipientEmailsAttribute,
  recipientEmailFor,
  ridsForEmail,
  sameRecipientEmails,
} from './recipientEmails.js';
export type { RecipientEmail } from './recipientEmails.js';

/** Issuer and serial of a certificate, byte-exact; equality of two of them. */
export { issuerAndSerialOf, sameIssuerAndSerial } from './certificate.js';

/**
 * Sign: `createSignedData({ content, signer, recipientEmails, signingTime? }) → Promise<Buffer[]>` (DER);
 * `createSignedDataFrame({ contentLength, contentDigest, … }) → { prefix, suffix }` for a content
 * that is streamed rather than held in memory.
 */
export { createSignedData, createSignedDataFrame } from './signedData.js';
export type {
  CmsSigner,
  CreateSignedDataOptions,
  SignedDataFrame,
  SignedDataFrameOptions,
} from './signedData.js';

/** Verify: `verifySignedData(bytes) → SignedDataVerification`; never throws for bad input. */
export { verifySignedData } from './verifySignedData.js';
export type { SignedDataFailure, SignedDataVerification } from './verifySignedData.js';

/** The CMS bytes inside DER, PEM or an application/pkcs7-mime entity. */
export { cmsFromPem, decodeEntityBody, signedDataBytesFrom, splitSmimeEntity } from './smimeEntity.js';
export type { SmimeEntity } from './smimeEntity.js';

/**
 * Encrypt: `createAuthEnvelopedData({ content, recipients, includeRecipientEmails? }) → { chunks, recipientEmails }`;
 * `createAuthEnvelopedDataEncryptor({ recipients, … }) → { header, update(), final() }` streams.
 */
export {
  createAuthEnvelopedData,
  createAuthEnvelopedDataEncryptor,
  ENCRYPTED_CONTENT_SEGMENT,
} from './authEnvelopedData.js';
export type {
  AuthEnvelopedDataEncryptor,
  AuthEnvelopedDataEncryptorOptions,
  CreateAuthEnvelopedDataOptions,
  CreatedAuthEnvelopedData,
  EnvelopeRecipient,
} from './authEnvelopedData.js';

/** Parse an AuthEnvelopedData and decrypt with a content key; plaintext only after the tag verified. */
export { parseAuthEnvelopedData } from './parseAuthEnvelopedData.js';
export type { DecryptOptions, KeyTransRecipient, ParsedAuthEnvelopedData } from './parseAuthEnvelopedData.js';

/** Decrypt for the own address, unwrapping the key through a callback (the Konnektor). */
export { decryptAuthEnvelopedData } from './decryptAuthEnvelopedData.js';
export type {
  DecryptAuthEnvelopedDataOptions,
  DecryptedAuthEnvelopedData,
} from './decryptAuthEnvelopedData.js';

/** Limits of the BER reader, for callers that need other bounds than the defaults. */
export type { BerLimits } from './ber.js';
export type { AlgorithmIdentifierValue, SignatureScheme } from './algorithms.js';
