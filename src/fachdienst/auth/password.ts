/**
 * Password hashing with scrypt (memory-hard). Encoded as `scrypt$N$r$p$<salt b64>$<hash b64>`,
 * so parameters can be raised later without breaking stored hashes (see `needsRehash`).
 * Nothing here logs, and no error message contains a password or a hash.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory per hash ≈ 128 · N · r bytes. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * N = 2^14, r = 8, p = 1: 16 MiB and ~45 ms per hash on the 2-core reference machine
 * (N = 2^15 took ~95 ms there, above the 20–50 ms target).
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Bounds for parameters read from stored hashes, so a tampered entry cannot exhaust memory. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;

/** A stored password hash is not a well-formed `scrypt$…` string. */
export class PasswordHashError extends Error {
  override readonly name = 'PasswordHashError';
  readonly code = 'PASSWORD_HASH_MALFORMED';
}

function memoryFor({ N, r, p }: ScryptParams): number {
  return 128 * N * r * p + 128 * r * p;
}

function scryptAsync(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node refuses when the estimate exceeds maxmem; twice the need leaves room for its overhead.
    maxmem: 2 * memoryFor(params),
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params;
  const ok =
    Number.isSafeInteger(N) &&
    N >= 2 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) &&
    r >= 1 &&
    r <= MAX_R &&
    Number.isSafeInteger(p) &&
    p >= 1 &&
    p <= MAX_P &&
    memoryFor(params) <= MAX_MEMORY;
  if (!ok) throw new PasswordHashError('scrypt parameters out of range');
}

/** Hashes `password` with a fresh random salt. The password is NFC-normalized first. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password, salt, HASH_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface Decoded {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const ENCODED =
  /^scrypt\$([1-9][0-9]{0,9})\$([1-9][0-9]{0,4})\$([1-9][0-9]{0,4})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function base64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from ignores junk; insist on the canonical encoding.
  return bytes.toString('base64') === text ? bytes : undefined;
}

function decode(encoded: string): Decoded {
  const match = ENCODED.exec(encoded);
  if (match === null)
    throw new PasswordHashError('stored password hash is not of the form scrypt$N$r$p$salt$hash');
  const [, n, r, p, saltText, hashText] = match;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  checkParams(params);
  const salt = base64(saltText ?? '');
  const hash = base64(hashText ?? '');
  if (salt === undefined || salt.length < 8)
    throw new PasswordHashError('stored password hash has a bad salt');
  if (hash === undefined || hash.length < 16 || hash.length > 64)
    throw new PasswordHashError('stored password hash has a bad hash value');
  return { params, salt, hash };
}

/**
 * True when `password` matches `encoded`. Throws `PasswordHashError` when `encoded` is malformed
 * (a corrupt store entry is not the same as a wrong password).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { params, salt, hash } = decode(encoded);
  const candidate = await scryptAsync(password, salt, hash.length, params);
  return timingSafeEqual(candidate, hash);
}

/** True when `encoded` uses weaker parameters than `params` (rehash after the next good login). */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const decoded = decode(encoded);
  return (
    decoded.params.N < params.N ||
    decoded.params.r < params.r ||
    decoded.params.p < params.p ||
    decoded.salt.length < SALT_BYTES ||
    decoded.hash.length < HASH_BYTES
  );
}

export const PASSWORD_MIN_LENGTH = 12;

/**
 * The KIM example policy for operator tools: at least 12 characters with a lower-case letter,
 * an upper-case letter, a digit and a special character. Returns one line naming everything
 * missing, or null when the password is acceptable.
 */
export function passwordPolicyProblem(password: string): string | null {
  if (/\p{Cc}/u.test(password)) return 'password must not contain control characters';
  const missing: string[] = [];
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN_LENGTH)
    missing.push(`at least ${PASSWORD_MIN_LENGTH} characters (has ${length})`);
  if (!/\p{Ll}/u.test(password)) missing.push('a lower-case letter');
  if (!/\p{Lu}/u.test(password)) missing.push('an upper-case letter');
  if (!/\p{Nd}/u.test(password)) missing.push('a digit');
  if (!/[^\p{L}\p{N}\s]/u.test(password)) missing.push('a special character');
  return missing.length === 0 ? null : `password needs ${missing.join(', ')}`;
}
