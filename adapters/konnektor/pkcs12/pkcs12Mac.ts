/**
 * The PKCS#12 integrity MAC (RFC 7292 §5 and Appendix B): HMAC over the AuthenticatedSafe with
 * a key from the PKCS#12 key derivation (ID 3) over the password as a BMPString. Checking it first
 * tells a wrong password apart from a damaged file.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { OctetString } from '@peculiar/asn1-schema';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { MacData } from '@peculiar/asn1-pfx';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { Pkcs12Error } from './pkcs12Error.js';

/** Digest OID → node hash name, output length u and block length v (RFC 7292 B.2). */
const DIGESTS: Record<string, { name: string; u: number; v: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', u: 28, v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};
const SHA256 = '2.16.840.1.101.3.4.2.1';
const ID_PBMAC1 = '1.2.840.113549.1.5.14';
const MAC_KEY_ID = 3;
const MAX_ITERATIONS = 10_000_000;

/** The password as a BMPString with its two-byte terminator, as RFC 7292 B.1 prescribes. */
function bmpPassword(password: string): Buffer {
  const utf16 = Buffer.from(`${password}\0`, 'utf16le');
  return utf16.swap16();
}

/** `source` repeated to fill a multiple of `v` bytes (RFC 7292 B.2 steps 2 and 3). */
function repeatToBlocks(source: Buffer, v: number): Buffer {
  if (source.length === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(v * Math.ceil(source.length / v));
  for (let i = 0; i < out.length; i++) out[i] = source[i % source.length] ?? 0;
  return out;
}

/** RFC 7292 Appendix B.2. */
export function pkcs12Kdf(
  digest: { name: string; u: number; v: number },
  password: Buffer,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
): Buffer {
  const { name, u, v } = digest;
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([repeatToBlocks(salt, v), repeatToBlocks(password, v)]);
  const blocks: Buffer[] = [];
  const count = Math.ceil(length / u);
  for (let block = 0; block < count; block++) {
    let a = createHash(name).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(name).update(a).digest();
    blocks.push(a);
    if (block === count - 1) break;
    const b = repeatToBlocks(a, v).subarray(0, v);
    // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[j + k] ?? 0) + (b[k] ?? 0) + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function macOf(
  digest: { name: string; u: number; v: number },
  password: string,
  salt: Buffer,
  iterations: number,
  data: Buffer,
): Buffer {
  const key = pkcs12Kdf(digest, bmpPassword(password), salt, MAC_KEY_ID, iterations, digest.u);
  return createHmac(digest.name, key).update(data).digest();
}

/** Throws Pkcs12Error PASSWORD when the MAC over `authSafe` does not match. */
export function verifyMac(macData: MacData, authSafe: Buffer, password: string): void {
  const oid = macData.mac.digestAlgorithm.algorithm;
  if (oid === ID_PBMAC1)
    throw new Pkcs12Error(
      'UNSUPPORTED',
      'uses a PBMAC1 integrity MAC, which is not supported (use HMAC-SHA256)',
    );
  const digest = DIGESTS[oid];
  if (digest === undefined) throw new Pkcs12Error('UNSUPPORTED', `uses the unsupported MAC digest ${oid}`);
  const iterations = Number(macData.iterations);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
    throw new Pkcs12Error('MALFORMED', `has an unacceptable MAC iteration count ${macData.iterations}`);
  const expected = Buffer.from(macData.mac.digest.buffer);
  const actual = macOf(digest, password, Buffer.from(macData.macSalt.buffer), iterations, authSafe);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    throw new Pkcs12Error('PASSWORD', 'cannot be opened: wrong password (the integrity check failed)');
}

/** An HMAC-SHA256 MacData over `authSafe`, as OpenSSL 3 writes it. */
export function createMac(authSafe: Buffer, password: string, iterations: number): MacData {
  const digest = DIGESTS[SHA256];
  if (digest === undefined) throw new Error('sha256 missing from the digest table');
  const salt = randomBytes(8);
  return new MacData({
    mac: new DigestInfo({
      digestAlgorithm: new AlgorithmIdentifier({ algorithm: SHA256, parameters: null }),
      digest: new OctetString(macOf(digest, password, salt, iterations, authSafe)),
    }),
    macSalt: new OctetString(salt),
    iterations,
  });
}
