import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AuthCache } from '../../../src/fachdienst/auth/authCache.js';
import { hashPassword, verifyPassword } from '../../../src/fachdienst/auth/password.js';

const ADDRESS = 'dr.muster@praxis.kim.test';
const PASSWORD = 'Correct-Horse-7';
const VERSION = 'scrypt$…hash…|active';

function setup(options: { ttlMs?: number; maxEntries?: number } = {}) {
  let clock = 1_000_000;
  const cache = new AuthCache({ ...options, now: () => clock });
  let calls = 0;
  /** A verifier that accepts PASSWORD and counts how often it ran (i.e. how often scrypt would). */
  const login = (password: string, version = VERSION, address = ADDRESS) =>
    cache.verify(address, password, version, () => {
      calls++;
      return Promise.resolve(password === PASSWORD);
    });
  return {
    cache,
    login,
    calls: () => calls,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('AuthCache', () => {
  it('answers a repeated successful login without verifying again', async () => {
    const t = setup();
    expect(await t.login(PASSWORD)).toBe(true);
    expect(t.calls()).toBe(1);
    expect(await t.login(PASSWORD)).toBe(true);
    expect(await t.login(PASSWORD)).toBe(true);
    expect(t.calls()).toBe(1);
  });

  it('never caches failures, and a cached success does not admit a wrong password', async () => {
    const t = setup();
    expect(await t.login('wrong-password')).toBe(false);
    expect(await t.login('wrong-password')).toBe(false);
    expect(t.calls()).toBe(2);
    await t.login(PASSWORD);
    expect(await t.login('wrong-password')).toBe(false);
    expect(t.calls()).toBe(4);
    expect(t.cache.size).toBe(1);
  });

  it('expires entries after the TTL (default 60 s)', async () => {
    const t = setup();
    await t.login(PASSWORD);
    t.advance(59_999);
    await t.login(PASSWORD);
    expect(t.calls()).toBe(1);
    t.advance(60_000); // the hit above did not extend the lifetime
    await t.login(PASSWORD);
    expect(t.calls()).toBe(2);
  });

  it('misses when the credential version changes (password change, lock, deregistration)', async () => {
    const t = setup();
    await t.login(PASSWORD, 'hash1|active');
    expect(await t.login(PASSWORD, 'hash1|locked')).toBe(true); // the verifier decides; here it says yes
    expect(t.calls()).toBe(2);
    expect(t.cache.has(ADDRESS, PASSWORD, 'hash2|active')).toBe(false);
    expect(t.cache.has(ADDRESS, PASSWORD, 'hash1|active')).toBe(true);
  });

  it('works with real password hashes as the version: a new hash invalidates the old entry', async () => {
    const cache = new AuthCache();
    const oldHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
    let verifications = 0;
    const login = (password: string, hash: string) =>
      cache.verify(ADDRESS, password, `${hash}|active`, () => {
        verifications++;
        return verifyPassword(password, hash);
      });
    expect(await login(PASSWORD, oldHash)).toBe(true);
    expect(await login(PASSWORD, oldHash)).toBe(true);
    expect(verifications).toBe(1);
    const newHash = await hashPassword('New-Password-42', { N: 1024, r: 8, p: 1 });
    expect(await login(PASSWORD, newHash)).toBe(false); // the old password no longer works
    expect(verifications).toBe(2);
  });

  it('invalidate(address) drops all entries of that address, case-insensitively, and no others', async () => {
    const t = setup();
    await t.login(PASSWORD, 'v1');
    await t.login(PASSWORD, 'v2');
    await t.login(PASSWORD, VERSION, 'other@praxis.kim.test');
    expect(t.cache.size).toBe(3);
    t.cache.invalidate('Dr.Muster@Praxis.KIM.test');
    expect(t.cache.size).toBe(1);
    expect(t.cache.has(ADDRESS, PASSWORD, 'v1')).toBe(false);
    expect(t.cache.has(ADDRESS, PASSWORD, 'v2')).toBe(false);
    expect(t.cache.has('other@praxis.kim.test', PASSWORD, VERSION)).toBe(true);
    t.cache.invalidate('nobody@praxis.kim.test'); // harmless
  });

  it('clear() drops everything', async () => {
    const t = setup();
    await t.login(PASSWORD);
    t.cache.clear();
    expect(t.cache.size).toBe(0);
    await t.login(PASSWORD);
    expect(t.calls()).toBe(2);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    const t = setup({ maxEntries: 3 });
    for (const v of ['a', 'b', 'c']) await t.login(PASSWORD, v);
    expect(t.cache.has(ADDRESS, PASSWORD, 'a')).toBe(true); // touch a: b is now the oldest
    await t.login(PASSWORD, 'd');
    expect(t.cache.size).toBe(3);
    expect(t.cache.has(ADDRESS, PASSWORD, 'b')).toBe(false);
    for (const v of ['a', 'c', 'd']) expect(t.cache.has(ADDRESS, PASSWORD, v)).toBe(true);
    t.cache.invalidate(ADDRESS); // the index followed the eviction
    expect(t.cache.size).toBe(0);
  });

  it('never holds the password itself', async () => {
    const t = setup();
    await t.login(PASSWORD);
    const dump = inspect(t.cache, { depth: Infinity, showHidden: true, maxArrayLength: Infinity });
    expect(dump).toContain('dr.muster@praxis.kim.test'); // the dump does show the contents…
    expect(dump).not.toContain(PASSWORD); // …but not the password
  });

  it('does not cache input that would make the key ambiguous (NUL)', () => {
    const t = setup();
    const odd = `${PASSWORD}\0x`;
    const cache = t.cache;
    cache.remember(ADDRESS, odd, VERSION);
    expect(cache.size).toBe(0);
    expect(cache.has(ADDRESS, odd, VERSION)).toBe(false);
  });

  it('keys differ between cache instances (random HMAC key per process/instance)', () => {
    const a = new AuthCache();
    const b = new AuthCache();
    a.remember(ADDRESS, PASSWORD, VERSION);
    b.remember(ADDRESS, PASSWORD, VERSION);
    const keyOf = (c: AuthCache) => /'([A-Za-z0-9+/]{43}=)'/.exec(inspect(c, { depth: Infinity }))?.[1];
    expect(keyOf(a)).toBeDefined();
    expect(keyOf(a)).not.toBe(keyOf(b));
  });
});
