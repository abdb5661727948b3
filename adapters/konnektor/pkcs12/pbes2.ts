/**
 * PBES2 (RFC 8018 §6.2) with PBKDF2 and a CBC cipher, done with node:crypto: what OpenSSL 3
 * uses by default for both the keys and the certificates in a PKCS#12 file. The legacy PKCS#12
 * PBE schemes (RC2, RC4, 3DES with the PKCS#12 KDF) are refused with a clear message.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CARD_ASN1_LIMITS } from '../asn1Limits.js';
import { Pkcs12Error } from './pkcs12Error.js';

export const ID_PBES2 = '1.2.840.113549.1.5.13';
const ID_PBKDF2 = '1.2.840.113549.1.5.12';

const PRF_HASHES: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const HMAC_WITH_SHA256 = '1.2.840.113549.2.9';

const CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};
const AES_256_CBC = '2.16.840.1.101.3.4.1.42';

const LEGACY: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.12.1.3': 'pbeWithSHAAnd3-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.4': 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  '1.2.840.113549.1.12.1.5': 'pbeWithSHAAnd128BitRC2-CBC',
  '1.2.840.113549.1.12.1.6': 'pbewithSHAAnd40BitRC2-CBC',
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC',
};

/** Bounds a hostile file's cost; OpenSSL writes 2048, other tools up to a few hundred thousand. */
const MAX_ITERATIONS = 10_000_000;

/** PBKDF2-params; the salt's `otherSource` alternative is not supported. */
export class Pbkdf2Params {
  @AsnProp({ type: AsnPropTypes.OctetString })
  salt = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  keyLength?: number;

  /** DEFAULT hmacWithSHA1 */
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  prf?: AlgorithmIdentifier;
}

export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();
}

function parse<T>(data: ArrayBuffer | null | undefined, type: new () => T, what: string): T {
  if (data === null || data === undefined) throw new Pkcs12Error('MALFORMED', `${what} missing`);
  try {
    return AsnConvert.parse(data, type, { berOptions: CARD_ASN1_LIMITS });
  } catch {
    throw new Pkcs12Error('UNSUPPORTED', `unsupported or malformed ${what}`);
  }
}

interface Scheme {
  readonly cipher: string;
  readonly key: Buffer;
  readonly iv: Buffer;
}

function scheme(algorithm: AlgorithmIdentifier, password: string): Scheme {
  const legacy = LEGACY[algorithm.algorithm];
  if (legacy !== undefined)
    throw new Pkcs12Error(
      'UNSUPPORTED',
      `uses the legacy encryption ${legacy}; only PBES2 (PBKDF2 + AES-CBC) is supported: ` +
        `re-export it with OpenSSL 3 defaults ('openssl pkcs12 -export' without -legacy)`,
    );
  if (algorithm.algorithm !== ID_PBES2)
    throw new Pkcs12Error('UNSUPPORTED', `uses the unsupported encryption ${algorithm.algorithm}`);
  const params = parse(algorithm.parameters, Pbes2Params, 'PBES2 parameters');
  if (params.keyDerivationFunc.algorithm !== ID_PBKDF2)
    throw new Pkcs12Error(
      'UNSUPPORTED',
      `uses the unsupported key derivation ${params.keyDerivationFunc.algorithm} (only PBKDF2)`,
    );
  const kdf = parse(params.keyDerivationFunc.parameters, Pbkdf2Params, 'PBKDF2 parameters');
  const cipher = CIPHERS[params.encryptionScheme.algorithm];
  if (cipher === undefined)
    throw new Pkcs12Error(
      'UNSUPPORTED',
      `uses the unsupported cipher ${params.encryptionScheme.algorithm} (AES-CBC or 3DES-CBC only)`,
    );
  const prfOid = kdf.prf?.algorithm ?? '1.2.840.113549.2.7';
  const hash = PRF_HASHES[prfOid];
  if (hash === undefined) throw new Pkcs12Error('UNSUPPORTED', `uses the unsupported PBKDF2 PRF ${prfOid}`);
  const iterations = Number(kdf.iterationCount);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
    throw new Pkcs12Error('MALFORMED', `has an unacceptable PBKDF2 iteration count ${kdf.iterationCount}`);
  if (kdf.keyLength !== undefined && Number(kdf.keyLength) !== cipher.keyLength)
    throw new Pkcs12Error('MALFORMED', `has a PBKDF2 key length that does not fit ${cipher.name}`);
  const iv = Buffer.from(parse(params.encryptionScheme.parameters, OctetString, 'cipher IV').buffer);
  if (iv.length !== cipher.ivLength) throw new Pkcs12Error('MALFORMED', `has an IV of the wrong length`);
  // PKCS#12 with PBES2 feeds the password to PBKDF2 as its UTF-8 bytes (RFC 7292 B.1 is for the legacy KDF).
  const key = pbkdf2Sync(
    Buffer.from(password, 'utf8'),
    Buffer.from(kdf.salt),
    iterations,
    cipher.keyLength,
    hash,
  );
  return { cipher: cipher.name, key, iv };
}

/** Decrypts `ciphertext`. A padding failure means a wrong password (or a damaged file). */
export function pbes2Decrypt(algorithm: AlgorithmIdentifier, ciphertext: Buffer, password: string): Buffer {
  const { cipher, key, iv } = scheme(algorithm, password);
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new Pkcs12Error('PASSWORD', 'cannot be decrypted: wrong password');
  }
}

export interface Pbes2Encrypted {
  readonly algorithm: AlgorithmIdentifier;
  readonly ciphertext: Buffer;
}

/** PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, as `openssl pkcs12 -export` (OpenSSL 3) writes it. */
export function pbes2Encrypt(plaintext: Buffer, password: string, iterations: number): Pbes2Encrypted {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const kdf = new Pbkdf2Params();
  kdf.salt = new Uint8Array(salt).buffer;
  kdf.iterationCount = iterations;
  kdf.prf = new AlgorithmIdentifier({ algorithm: HMAC_WITH_SHA256, parameters: null });
  const params = new Pbes2Params();
  params.keyDerivationFunc = new AlgorithmIdentifier({
    algorithm: ID_PBKDF2,
    parameters: AsnConvert.serialize(kdf),
  });
  params.encryptionScheme = new AlgorithmIdentifier({
    algorithm: AES_256_CBC,
    parameters: AsnConvert.serialize(new OctetString(iv)),
  });
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: ID_PBES2, parameters: AsnConvert.serialize(params) }),
    ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
  };
}
