/**
 * The decryption step alone, with a key file instead of a card: pick the RecipientInfo of the
 * given certificate (issuer and serial, byte-exact), unwrap the content key with RSAES-OAEP
 * SHA-256, and release the plaintext only after the GCM tag verified.
 */
import { constants, privateDecrypt } from 'node:crypto';
import type { KeyObject, X509Certificate } from 'node:crypto';
import {
  CmsError,
  issuerAndSerialOf,
  parseAuthEnvelopedData,
  sameIssuerAndSerial,
} from '../../../adapters/crypto/index.js';
import type { ParsedAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import { CliError } from '../cliError.js';
import { distinguishedName } from './distinguishedName.js';

function parse(cms: Buffer): ParsedAuthEnvelopedData {
  try {
    return parseAuthEnvelopedData(cms);
  } catch (error) {
    if (!(error instanceof CmsError)) throw error;
    if (error.code === 'UNSUPPORTED_ALGORITHM')
      throw new CliError(`the message uses an unsupported algorithm: ${error.message}`, 1);
    throw new CliError(`the input is not a readable AuthEnvelopedData: ${error.message}`, 1);
  }
}

function unwrap(key: KeyObject, encryptedKey: Buffer): Buffer {
  try {
    return privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      encryptedKey,
    );
  } catch {
    // OpenSSL's reason is not passed on: OAEP failures should all look alike.
    throw new CliError(
      'the content key could not be unwrapped with this key: the message was altered or damaged',
      1,
    );
  }
}

/**
 * The plaintext exactly as recovered (for a KIM message: the signed-data entity of kim-domain
 * §6.1 step 3). Throws CliError (exit 1) with a one-line reason for every failure.
 */
export function decryptWithKey(cms: Buffer, certificate: X509Certificate, key: KeyObject): Buffer[] {
  const parsed = parse(cms);
  const rid = issuerAndSerialOf(certificate.raw);
  const recipient = parsed.recipients.find((r) => sameIssuerAndSerial(r.rid, rid));
  if (recipient === undefined)
    throw new CliError(
      `no RecipientInfo for this certificate (serial ${certificate.serialNumber.toLowerCase()}, ` +
        `issuer ${distinguishedName(certificate.issuer)}); the message has ` +
        `${parsed.recipients.length} RecipientInfo${parsed.recipients.length === 1 ? '' : 's'}`,
      1,
    );
  if (!recipient.oaepSha256)
    throw new CliError(
      'the RecipientInfo for this certificate is not RSAES-OAEP with SHA-256 ' +
        `(keyEncryptionAlgorithm ${recipient.keyEncryptionAlgorithm.oid})`,
      1,
    );
  const contentKey = unwrap(key, recipient.encryptedKey);
  try {
    return parsed.decrypt(contentKey);
  } catch (error) {
    if (error instanceof CmsError && error.code === 'AUTHENTICATION_FAILED')
      throw new CliError('authentication failed: the message was altered or damaged', 1);
    if (error instanceof CmsError && error.code === 'KEY_UNWRAP_FAILED')
      throw new CliError('the unwrapped content key is not an AES-256 key: the message was altered', 1);
    throw error;
  } finally {
    contentKey.fill(0);
  }
}
