/**
 * Reads the private keys and certificates of a password-protected PKCS#12 file (RFC 7292) as
 * OpenSSL 3 writes it by default: MAC HMAC-SHA256, certificates in a PBES2-encrypted
 * EncryptedData, keys in pkcs8ShroudedKeyBags (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
 */
import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { ContentInfo } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, PFX, SafeContents } from '@peculiar/asn1-pfx';
import type { SafeBag } from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CARD_ASN1_LIMITS } from '../asn1Limits.js';
import { pbes2Decrypt } from './pbes2.js';
import { verifyMac } from './pkcs12Mac.js';
import { Pkcs12Error } from './pkcs12Error.js';
import { CmsEncryptedData, OID } from './pkcs12Schema.js';

export interface Pkcs12Contents {
  /** The private keys, in file order. */
  readonly keys: readonly KeyObject[];
  /** All certificates (DER), in file order: the keys' certificates and any chain. */
  readonly certificates: readonly Buffer[];
}

/** Nested safeContentsBags deeper than this are refused (a hostile file could recurse). */
const MAX_NESTING = 3;

function parse<T>(data: ArrayBuffer | Buffer, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(data, type, { berOptions: CARD_ASN1_LIMITS });
  } catch {
    throw new Pkcs12Error('MALFORMED', `is not a valid PKCS#12 file (cannot parse the ${what})`);
  }
}

function octets(data: ArrayBuffer, what: string): Buffer {
  return Buffer.from(parse(data, OctetString, what).buffer);
}

function privateKey(pkcs8: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    throw new Pkcs12Error('MALFORMED', 'holds a private key that cannot be read');
  }
}

interface Collected {
  keys: KeyObject[];
  certificates: Buffer[];
}

function readBags(bags: readonly SafeBag[], password: string, into: Collected, depth: number): void {
  for (const bag of bags) {
    switch (bag.bagId) {
      case OID.keyBag:
        into.keys.push(privateKey(Buffer.from(bag.bagValue)));
        break;
      case OID.pkcs8ShroudedKeyBag: {
        const shrouded = parse(bag.bagValue, EncryptedPrivateKeyInfo, 'shrouded key bag');
        const ciphertext = Buffer.from(shrouded.encryptedData.buffer);
        into.keys.push(privateKey(pbes2Decrypt(shrouded.encryptionAlgorithm, ciphertext, password)));
        break;
      }
      case OID.certBag: {
        const cert = parse(bag.bagValue, CertBag, 'certificate bag');
        // Other certificate types (SDSI) cannot belong to a card.
        if (cert.certId === OID.x509Certificate)
          into.certificates.push(octets(cert.certValue, 'certificate bag'));
        break;
      }
      case OID.safeContentsBag:
        if (depth >= MAX_NESTING) throw new Pkcs12Error('MALFORMED', 'nests its SafeContents too deeply');
        readBags(parse(bag.bagValue, SafeContents, 'nested SafeContents'), password, into, depth + 1);
        break;
      default:
        // CRL and secret bags carry nothing a card needs.
        break;
    }
  }
}

function safeContentsOf(info: ContentInfo, password: string): SafeContents {
  switch (info.contentType) {
    case OID.data:
      return parse(octets(info.content, 'SafeContents'), SafeContents, 'SafeContents');
    case OID.encryptedData: {
      const encrypted = parse(info.content, CmsEncryptedData, 'EncryptedData').encryptedContentInfo;
      const content = encrypted.encryptedContent;
      const ciphertext =
        content?.value !== undefined
          ? Buffer.from(content.value.buffer)
          : Buffer.concat((content?.constructedValue ?? []).map((part) => Buffer.from(part.buffer)));
      const plain = pbes2Decrypt(encrypted.contentEncryptionAlgorithm, ciphertext, password);
      return parse(plain, SafeContents, 'decrypted SafeContents');
    }
    case OID.envelopedData:
      throw new Pkcs12Error(
        'UNSUPPORTED',
        'uses public-key privacy mode (EnvelopedData), which is not supported',
      );
    default:
      throw new Pkcs12Error('UNSUPPORTED', `holds unsupported content ${info.contentType}`);
  }
}

/** Throws Pkcs12Error: PASSWORD for a wrong password, UNSUPPORTED, MALFORMED. */
export function readPkcs12(data: Buffer, password: string): Pkcs12Contents {
  const pfx = parse(data, PFX, 'PFX structure');
  if (pfx.version !== 3) throw new Pkcs12Error('UNSUPPORTED', `has PFX version ${pfx.version}, expected 3`);
  if (pfx.authSafe.contentType !== OID.data)
    throw new Pkcs12Error(
      'UNSUPPORTED',
      'uses public-key integrity mode (SignedData), which is not supported; use password integrity',
    );
  const authSafeBytes = octets(pfx.authSafe.content, 'AuthenticatedSafe');
  // asn1-pfx fills an absent macData with an empty default. Without a MAC a wrong password only
  // shows as a decryption failure below.
  if (pfx.macData.mac.digestAlgorithm.algorithm !== '') verifyMac(pfx.macData, authSafeBytes, password);
  const collected: Collected = { keys: [], certificates: [] };
  for (const info of parse(authSafeBytes, AuthenticatedSafe, 'AuthenticatedSafe'))
    readBags(safeContentsOf(info, password), password, collected, 0);
  return collected;
}
