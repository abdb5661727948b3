/**
 * Throttling of failed authentications, shared by SMTP and POP3: failures are counted per
 * account (lower-cased address) and per remote IP within a sliding window. From a few failures
 * on, answers are delayed (growing exponentially); at a limit the account or IP is locked out
 * for a while. In memory; `AuthFailureCounter` is the seam for a shared (e.g. Redis) version.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type ThrottleDecision =
  | { readonly allowed: true; readonly delayMs: number }
  | { readonly allowed: false; readonly retryAfterMs: number };

type MaybePromise<T> = T | Promise<T>;

/**
 * What the protocol servers depend on. Call `check` before verifying a password: when not
 * allowed, answer with a temporary failure without verifying; otherwise wait `delayMs`, verify,
 * then `recordFailure` or `recordSuccess`. Results may be promises (a Redis-backed
 * implementation), so callers should `await` them.
 */
export interface AuthFailureCounter {
  check(address: string, ip: string): MaybePromise<ThrottleDecision>;
  recordFailure(address: string, ip: string): MaybePromise<void>;
  recordSuccess(address: string, ip: string): MaybePromise<void>;
}

export interface ThrottlePolicy {
  /** Failures older than this are forgotten. */
  readonly windowMs: number;
  /** With this many failures of the account in the window, answers are delayed. */
  readonly delayAfter: number;
  /** The same for the IP's failures (across all accounts). */
  readonly ipDelayAfter: number;
  /** Delay at `delayAfter` failures; doubles with each further failure. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Failures of one account in the window that lock the account. */
  readonly accountLockoutAfter: number;
  /** Failures from one IP in the window that lock the IP (for all accounts). */
  readonly ipLockoutAfter: number;
  readonly lockoutMs: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  windowMs: 15 * 60_000,
  delayAfter: 3,
  ipDelayAfter: 3,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  accountLockoutAfter: 10,
  ipLockoutAfter: 30,
  lockoutMs: 15 * 60_000,
};

/** `baseDelayMs · 2^(failures − threshold)`, capped; 0 below the threshold. */
export function throttleDelay(failures: number, threshold: number, policy: ThrottlePolicy): number {
  if (failures < threshold) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(failures - threshold, 30));
}

export interface AuthThrottleOptions {
  readonly policy?: Partial<ThrottlePolicy>;
  /** Most accounts and most IPs tracked (each); the least recently failed go first. Default 100,000. */
  readonly maxEntries?: number;
  /** Count IPv6 clients per /64 (one host usually owns a whole /64). Default true. */
  readonly ipv6Prefix64?: boolean;
  /** Clock in ms. Default `Date.now`. */
  readonly now?: () => number;
}

interface Failures {
  /** Times of failures inside the window, oldest first. */
  times: number[];
  lockedUntil: number;
}

interface State {
  readonly failures: number;
  readonly lockedUntil: number;
}

/** Sliding-window failure counts with lockout, bounded in size. */
class FailureTable {
  /** Map order = order of last failure; the first entry is the stalest. */
  private readonly entries = new Map<string, Failures>();

  constructor(
    private readonly windowMs: number,
    private readonly lockoutAfter: number,
    private readonly lockoutMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  state(key: string, now: number): State {
    const entry = this.entries.get(key);
    if (entry === undefined) return { failures: 0, lockedUntil: 0 };
    this.prune(entry, now);
    if (entry.times.length === 0 && entry.lockedUntil <= now) {
      this.entries.delete(key);
      return { failures: 0, lockedUntil: 0 };
    }
    return { failures: entry.times.length, lockedUntil: entry.lockedUntil };
  }

  fail(key: string, now: number): void {
    const entry = this.entries.get(key) ?? { times: [], lockedUntil: 0 };
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.lockedUntil > now) return; // already locked; the caller should not have verified
    this.prune(entry, now);
    entry.times.push(now);
    if (entry.times.length >= this.lockoutAfter) {
      entry.lockedUntil = now + this.lockoutMs;
      entry.times = [];
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private prune(entry: Failures, now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < entry.times.length && (entry.times[drop] ?? Infinity) <= cutoff) drop++;
    if (drop > 0) entry.times.splice(0, drop);
  }
}

export class AuthThrottle implements AuthFailureCounter {
  readonly policy: ThrottlePolicy;
  private readonly accounts: FailureTable;
  private readonly ips: FailureTable;
  private readonly now: () => number;
  private readonly ipv6Prefix64: boolean;

  constructor(options: AuthThrottleOptions = {}) {
    this.policy = { ...DEFAULT_THROTTLE_POLICY, ...options.policy };
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('maxEntries must be a positive integer');
    const p = this.policy;
    this.accounts = new FailureTable(p.windowMs, p.accountLockoutAfter, p.lockoutMs, max);
    this.ips = new FailureTable(p.windowMs, p.ipLockoutAfter, p.lockoutMs, max);
    this.now = options.now ?? Date.now;
    this.ipv6Prefix64 = options.ipv6Prefix64 ?? true;
  }

  /** Number of accounts and IPs currently tracked. */
  get size(): { readonly accounts: number; readonly ips: number } {
    return { accounts: this.accounts.size, ips: this.ips.size };
  }

  check(address: string, ip: string): ThrottleDecision {
    const now = this.now();
    const account = this.accounts.state(accountKey(address), now);
    const remote = this.ips.state(ipKey(ip, this.ipv6Prefix64), now);
    const lockedUntil = Math.max(account.lockedUntil, remote.lockedUntil);
    if (lockedUntil > now) return { allowed: false, retryAfterMs: lockedUntil - now };
    const delayMs = Math.max(
      throttleDelay(account.failures, this.policy.delayAfter, this.policy),
      throttleDelay(remote.failures, this.policy.ipDelayAfter, this.policy),
    );
    return { allowed: true, delayMs };
  }

  recordFailure(address: string, ip: string): void {
    const now = this.now();
    this.accounts.fail(accountKey(address), now);
    this.ips.fail(ipKey(ip, this.ipv6Prefix64), now);
  }

  /** Clears the account's failures. The IP's count stays: one good login must not launder a spray. */
  recordSuccess(address: string, _ip: string): void {
    this.accounts.reset(accountKey(address));
  }
}

function accountKey(address: string): string {
  return address.toLowerCase();
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; IPv6 → its /64 (`2001:db8:0:1::/64`) unless disabled. */
export function ipKey(ip: string, ipv6Prefix64 = true): string {
  let value = ip.trim().toLowerCase();
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  if (value.startsWith('::ffff:') && isIPv4(value.slice(7))) return value.slice(7);
  if (!ipv6Prefix64 || !isIPv6(value)) return value;
  const groups = expandIPv6(value);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of a valid IPv6 literal, without leading zeros. */
function expandIPv6(value: string): string[] {
  let text = value;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
