/**
 * A cache of successful authentications, like Dovecot's auth cache: a client that opens a
 * connection per message pays the scrypt cost once per TTL, not once per connection.
 *
 * Entries are keyed by HMAC-SHA256 (random per-instance key) over address, password and a
 * credential version the caller derives from the account's current state (e.g.
 * `${passwordHash}|${status}`). A password change, lock or deregistration changes the version,
 * so old entries stop matching even before they expire. Only successes are cached; the
 * password itself is never stored.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface AuthCacheOptions {
  /** Lifetime of an entry. Default 60 s. */
  readonly ttlMs?: number;
  /** Most entries kept; the least recently used goes first. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

interface Entry {
  readonly address: string;
  readonly expiresAt: number;
}

export class AuthCache {
  private readonly key = randomBytes(32);
  /** Insertion order = recency order (a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  private readonly byAddress = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: AuthCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cache key, or undefined when the triple must not be cached: with a NUL in a field
   * the `\0`-joined input would be ambiguous (SASL PLAIN cannot carry one anyway).
   */
  private keyFor(address: string, password: string, credentialVersion: string): string | undefined {
    if (address.includes('\0') || password.includes('\0') || credentialVersion.includes('\0'))
      return undefined;
    return createHmac('sha256', this.key)
      .update(`${normalize(address)}\0${password}\0${credentialVersion}`)
      .digest('base64');
  }

  /** True when this exact address/password/credential version authenticated within the TTL. */
  has(address: string, password: string, credentialVersion: string): boolean {
    const key = this.keyFor(address, password, credentialVersion);
    if (key === undefined) return false;
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    if (this.now() >= entry.expiresAt) {
      this.remove(key, entry);
      return false;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  /** Records a successful authentication. Call only after the password verified. */
  remember(address: string, password: string, credentialVersion: string): void {
    const key = this.keyFor(address, password, credentialVersion);
    if (key === undefined) return;
    const normalized = normalize(address);
    const existing = this.entries.get(key);
    if (existing !== undefined) this.entries.delete(key);
    this.entries.set(key, { address: normalized, expiresAt: this.now() + this.ttlMs });
    let keys = this.byAddress.get(normalized);
    if (keys === undefined) {
      keys = new Set();
      this.byAddress.set(normalized, keys);
    }
    keys.add(key);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done === true) break;
      this.remove(oldest.value[0], oldest.value[1]);
    }
  }

  /**
   * Answers from the cache, or runs `verify` (the scrypt check) and caches a success.
   * Failures are never cached, so a wrong password always costs a full verification.
   */
  async verify(
    address: string,
    password: string,
    credentialVersion: string,
    verify: () => Promise<boolean>,
  ): Promise<boolean> {
    if (this.has(address, password, credentialVersion)) return true;
    const ok = await verify();
    if (ok) this.remember(address, password, credentialVersion);
    return ok;
  }

  /** Drops every entry of `address` (e.g. on password change, lock, deregistration). */
  invalidate(address: string): void {
    const normalized = normalize(address);
    const keys = this.byAddress.get(normalized);
    if (keys === undefined) return;
    for (const key of keys) this.entries.delete(key);
    this.byAddress.delete(normalized);
  }

  clear(): void {
    this.entries.clear();
    this.byAddress.clear();
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    const keys = this.byAddress.get(entry.address);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.byAddress.delete(entry.address);
  }
}

/** Addresses are compared case-insensitively, as everywhere in the Fachdienst's auth path. */
function normalize(address: string): string {
  return address.toLowerCase();
}
