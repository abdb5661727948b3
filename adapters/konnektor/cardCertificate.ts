/**
 * Reads a card certificate (C.HCI.OSIG / ENC / AUT) and checks what the software Konnektor relies
 * on: an RSA key, the key usage of its role, a subject commonName and the Telematik-ID in the
 * admission extension.
 */
import { X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ADMISSION_OID, telematikIdFromAdmission } from './admission.js';
import { extensionValue, keyUsageOf, KeyUsageFlags, subjectCommonName } from './certificateFields.js';
import { issuerAndSerialOf } from '../crypto/certificate.js';
import { KonnektorError } from './port.js';
import type { IssuerAndSerial } from './port.js';

export type CardRole = 'osig' | 'enc' | 'aut';

export interface CardCertificate {
  readonly der: Buffer;
  readonly publicKey: KeyObject;
  readonly keyUsage: number;
  readonly telematikId: string;
  readonly holderName: string;
  readonly rid: IssuerAndSerial;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** Where it came from, for error messages. */
  readonly file: string;
  /** Node's view, for `checkPrivateKey`. */
  readonly node: X509Certificate;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/** Parses `der` (from `file`) and reads identity and key usage. Throws KonnektorError. */
export function readCardCertificate(der: Buffer, file: string): CardCertificate {
  let node: X509Certificate;
  let keyUsage: number | undefined;
  let holderName: string | undefined;
  let admission: Buffer | undefined;
  try {
    node = new X509Certificate(der);
    keyUsage = keyUsageOf(der);
    holderName = subjectCommonName(der);
    admission = extensionValue(der, ADMISSION_OID);
  } catch (error) {
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `${file}: not a readable X.509 certificate (${oneLine(error)})`,
      file,
    );
  }
  if (node.publicKey.asymmetricKeyType !== 'rsa')
    throw new KonnektorError(
      'CARD_INVALID',
      `${file}: only RSA card keys are supported, this certificate has a ${node.publicKey.asymmetricKeyType ?? 'unknown'} key`,
      file,
    );
  if (keyUsage === undefined)
    throw new KonnektorError('CARD_INVALID', `${file}: the certificate has no keyUsage extension`, file);
  if (holderName === undefined || holderName === '')
    throw new KonnektorError('CARD_INVALID', `${file}: the certificate subject has no commonName`, file);
  if (admission === undefined)
    throw new KonnektorError(
      'CARD_INVALID',
      `${file}: the certificate has no admission extension (${ADMISSION_OID}) with a Telematik-ID`,
      file,
    );
  let telematikId: string;
  try {
    telematikId = telematikIdFromAdmission(admission);
  } catch (error) {
    throw new KonnektorError(
      'CARD_INVALID',
      `${file}: unreadable admission extension: ${oneLine(error)}`,
      file,
    );
  }
  return {
    der: Buffer.from(node.raw),
    publicKey: node.publicKey,
    keyUsage,
    telematikId,
    holderName,
    rid: issuerAndSerialOf(node.raw),
    validFrom: new Date(node.validFrom),
    validTo: new Date(node.validTo),
    file,
    node,
  };
}

/**
 * The role a certificate's key usage marks it for (gemSpec_PKI): OSIG nonRepudiation, AUT
 * digitalSignature (often with keyEncipherment), ENC keyEncipherment without either.
 */
export function roleOf(cert: CardCertificate): CardRole | undefined {
  if (cert.keyUsage & KeyUsageFlags.nonRepudiation) return 'osig';
  if (cert.keyUsage & KeyUsageFlags.digitalSignature) return 'aut';
  if (cert.keyUsage & KeyUsageFlags.keyEncipherment) return 'enc';
  return undefined;
}

/** `digitalSignature, keyEncipherment`, for messages. */
export function describeKeyUsage(cert: CardCertificate): string {
  const names = Object.entries(KeyUsageFlags)
    .filter(([, flag]) => (cert.keyUsage & flag) !== 0)
    .map(([name]) => name);
  return names.length === 0 ? 'none' : names.join(', ');
}

export function isValidAt(cert: CardCertificate, now: Date): boolean {
  return cert.validFrom <= now && now <= cert.validTo;
}

/** Throws CARD_INVALID unless `key` is the private key of `cert`. */
export function checkKeyPair(cert: CardCertificate, key: KeyObject, keyFile: string): void {
  if (!cert.node.checkPrivateKey(key))
    throw new KonnektorError(
      'CARD_INVALID',
      `${keyFile}: the private key does not belong to the certificate ${cert.file}`,
      keyFile,
    );
}
