import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  PasswordHashError,
  hashPassword,
  needsRehash,
  passwordPolicyProblem,
  verifyPassword,
} from '../../../src/fachdienst/auth/password.js';

const PASSWORD = 'Correct-Horse-7-Battery';
/** Cheap parameters for tests that are not about cost. */
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword(PASSWORD);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
    expect(await verifyPassword('Correct-Horse-7-Batterx', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('encodes scrypt$N$r$p$salt$hash with the default parameters and a 16-byte salt', async () => {
    const encoded = await hashPassword(PASSWORD);
    const match = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(encoded);
    expect(match).not.toBeNull();
    const [, n, r, p, salt, hash] = match!;
    expect({ N: Number(n), r: Number(r), p: Number(p) }).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 16384, r: 8, p: 1 });
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(32);
    expect(encoded).not.toContain(PASSWORD);
  });

  it('salts: two hashes of the same password differ, and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD, FAST), hashPassword(PASSWORD, FAST)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(await verifyPassword(PASSWORD, a)).toBe(true);
    expect(await verifyPassword(PASSWORD, b)).toBe(true);
  });

  it('is self-describing: verification uses the parameters stored in the string', async () => {
    const encoded = await hashPassword(PASSWORD, FAST);
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
    // The same salt and hash under other stated parameters no longer match.
    expect(await verifyPassword(PASSWORD, encoded.replace('scrypt$1024$', 'scrypt$2048$'))).toBe(false);
  });

  it('treats Unicode normalization forms of a password alike', async () => {
    const composed = 'Gr\u00fc\u00dfe-aus-K\u00f6ln-1';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed, FAST))).toBe(true);
  });

  it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await hashPassword(PASSWORD);
      await verifyPassword(PASSWORD, await hashPassword(PASSWORD));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(5);
  });

  it('costs tens of milliseconds per hash with the default parameters (measured)', async () => {
    await hashPassword(PASSWORD); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      await hashPassword(PASSWORD);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[3]!;
    const { N, r, p } = DEFAULT_SCRYPT_PARAMS;
    console.log(
      `scrypt N=${N} r=${r} p=${p} (${(128 * N * r) / 2 ** 20} MiB): median ${median.toFixed(1)} ms, ` +
        `min ${times[0]!.toFixed(1)} ms, max ${times[6]!.toFixed(1)} ms per hash`,
    );
    expect(128 * N * r).toBeGreaterThanOrEqual(16 * 2 ** 20); // memory-hard: at least 16 MiB
    expect(median).toBeGreaterThan(10);
    expect(median).toBeLessThan(500);
  });

  describe('malformed encodings', () => {
    const salt = Buffer.alloc(16, 1).toString('base64');
    const hash = Buffer.alloc(32, 2).toString('base64');
    it.each([
      ['empty', ''],
      ['another scheme', `bcrypt$16384$8$1$${salt}$${hash}`],
      ['a missing part', `scrypt$16384$8$1$${salt}`],
      ['an extra part', `scrypt$16384$8$1$${salt}$${hash}$x`],
      ['N not a power of two', `scrypt$1000$8$1$${salt}$${hash}`],
      ['N too large (memory bomb)', `scrypt$${2 ** 24}$8$1$${salt}$${hash}`],
      ['r = 0', `scrypt$16384$0$1$${salt}$${hash}`],
      ['a leading zero', `scrypt$016384$8$1$${salt}$${hash}`],
      ['a non-base64 salt', `scrypt$16384$8$1$!!!!$${hash}`],
      ['a non-canonical base64 hash', `scrypt$16384$8$1$${salt}$${hash.replace(/=$/, '')}A==`],
      ['a short salt', `scrypt$16384$8$1$${Buffer.alloc(4).toString('base64')}$${hash}`],
      ['a short hash', `scrypt$16384$8$1$${salt}$${Buffer.alloc(8).toString('base64')}`],
      ['surrounding space', ` scrypt$16384$8$1$${salt}$${hash}`],
    ])('rejects %s with a PasswordHashError', async (_what, encoded) => {
      const attempt = verifyPassword(PASSWORD, encoded);
      await expect(attempt).rejects.toBeInstanceOf(PasswordHashError);
      await expect(attempt).rejects.toMatchObject({ code: 'PASSWORD_HASH_MALFORMED' });
      const message = await attempt.catch((e: Error) => e.message);
      expect(message).not.toContain(PASSWORD);
      if (encoded.length > 0) expect(message).not.toContain(encoded);
    });

    it('accepts the well-formed control string (so the cases above fail for their defect)', async () => {
      expect(await verifyPassword(PASSWORD, `scrypt$16384$8$1$${salt}$${hash}`)).toBe(false);
    });
  });

  it('tells when a stored hash is weaker than the current parameters', async () => {
    expect(needsRehash(await hashPassword(PASSWORD, FAST))).toBe(true);
    expect(needsRehash(await hashPassword(PASSWORD))).toBe(false);
    expect(() => needsRehash('nonsense')).toThrow(PasswordHashError);
  });

  it('refuses to hash with out-of-range parameters', async () => {
    await expect(hashPassword(PASSWORD, { N: 3, r: 8, p: 1 })).rejects.toBeInstanceOf(PasswordHashError);
  });
});

describe('passwordPolicyProblem', () => {
  it('accepts a password meeting the KIM example policy', () => {
    expect(passwordPolicyProblem('Correct-Horse-7')).toBeNull();
    expect(passwordPolicyProblem('Äpfel&Birnen99')).toBeNull();
  });

  it.each([
    ['Sh0rt!pass', /at least 12 characters \(has 10\)/],
    ['all-lowercase-1', /an upper-case letter/],
    ['ALL-UPPERCASE-1', /a lower-case letter/],
    ['No-Digits-Here', /a digit/],
    ['NoSpecials1234', /a special character/],
    ['Spaces Only 12', /a special character/],
    ['Tab\tIs-Not-Ok-1', /control characters/],
  ])('rejects %j', (password, problem) => {
    const message = passwordPolicyProblem(password);
    expect(message).toMatch(problem);
    expect(message).not.toContain(password);
  });

  it('names everything that is missing in one line', () => {
    expect(passwordPolicyProblem('abc')).toBe(
      'password needs at least 12 characters (has 3), an upper-case letter, a digit, a special character',
    );
  });

  it('counts characters, not UTF-16 units', () => {
    expect(passwordPolicyProblem('Aa1!😀😀😀😀😀😀😀')).toMatch(/has 11/);
  });
});
