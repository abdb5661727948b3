import { describe, expect, it } from 'vitest';
import {
  AuthThrottle,
  DEFAULT_THROTTLE_POLICY,
  ipKey,
  throttleDelay,
} from '../../../src/fachdienst/auth/throttle.js';
import type { AuthFailureCounter, ThrottleDecision } from '../../../src/fachdienst/auth/throttle.js';

const MIN = 60_000;
const USER = 'dr.muster@praxis.kim.test';
const IP = '192.0.2.10';

function setup(options: ConstructorParameters<typeof AuthThrottle>[0] = {}) {
  let clock = 5_000_000;
  const throttle = new AuthThrottle({ ...options, now: () => clock });
  return {
    throttle,
    advance: (ms: number) => {
      clock += ms;
    },
    fail: (n: number, address = USER, ip = IP) => {
      for (let i = 0; i < n; i++) throttle.recordFailure(address, ip);
    },
  };
}

const allowed = (delayMs: number): ThrottleDecision => ({ allowed: true, delayMs });

describe('AuthThrottle', () => {
  it('has the documented default policy', () => {
    expect(DEFAULT_THROTTLE_POLICY).toEqual({
      windowMs: 15 * MIN,
      delayAfter: 3,
      ipDelayAfter: 3,
      baseDelayMs: 250,
      maxDelayMs: 5_000,
      accountLockoutAfter: 10,
      ipLockoutAfter: 30,
      lockoutMs: 15 * MIN,
    });
  });

  it('answers without delay for the first failures, then with a growing delay capped at 5 s', () => {
    const t = setup();
    const delays: number[] = [];
    for (let failures = 0; failures < 10; failures++) {
      const decision = t.throttle.check(USER, IP);
      expect(decision.allowed).toBe(true);
      delays.push(decision.allowed ? decision.delayMs : -1);
      t.fail(1);
    }
    expect(delays).toEqual([0, 0, 0, 250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  it('locks the account out for 15 minutes at 10 failures, then starts afresh', () => {
    const t = setup();
    t.fail(9);
    expect(t.throttle.check(USER, IP).allowed).toBe(true);
    t.fail(1);
    expect(t.throttle.check(USER, IP)).toEqual({ allowed: false, retryAfterMs: 15 * MIN });
    // From any IP: it is the account that is locked.
    expect(t.throttle.check(USER, '198.51.100.7')).toEqual({ allowed: false, retryAfterMs: 15 * MIN });
    t.advance(10 * MIN);
    expect(t.throttle.check(USER, IP)).toEqual({ allowed: false, retryAfterMs: 5 * MIN });
    t.advance(5 * MIN);
    expect(t.throttle.check(USER, IP)).toEqual(allowed(0));
  });

  it('counts an account case-insensitively', () => {
    const t = setup();
    t.fail(5, 'Dr.Muster@Praxis.KIM.test', '198.51.100.1');
    t.fail(5, USER, '198.51.100.2');
    expect(t.throttle.check('DR.MUSTER@praxis.kim.test', '203.0.113.9').allowed).toBe(false);
  });

  it('locks an IP at 30 failures, for every account, but not other IPs', () => {
    const t = setup();
    for (let i = 0; i < 29; i++) t.fail(1, `user${i}@praxis.kim.test`);
    expect(t.throttle.check('fresh@praxis.kim.test', IP).allowed).toBe(true);
    t.fail(1, 'user29@praxis.kim.test');
    expect(t.throttle.check('fresh@praxis.kim.test', IP)).toEqual({ allowed: false, retryAfterMs: 15 * MIN });
    expect(t.throttle.check('fresh@praxis.kim.test', '198.51.100.7')).toEqual(allowed(0));
  });

  it('delays by the IP count too (spraying many accounts from one address)', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.fail(1, `user${i}@praxis.kim.test`);
    expect(t.throttle.check('fresh@praxis.kim.test', IP)).toEqual(allowed(1000));
    expect(t.throttle.check('fresh@praxis.kim.test', '198.51.100.7')).toEqual(allowed(0));
  });

  it('clears the account counter on success, but not the IP counter', () => {
    const t = setup();
    t.fail(6);
    expect(t.throttle.check(USER, '198.51.100.7')).toEqual(allowed(2000));
    t.throttle.recordSuccess(USER, IP);
    expect(t.throttle.check(USER, '198.51.100.7')).toEqual(allowed(0));
    expect(t.throttle.check('other@praxis.kim.test', IP)).toEqual(allowed(2000));
    // The IP keeps counting towards its lockout.
    for (let i = 0; i < 24; i++) t.fail(1, `user${i}@praxis.kim.test`);
    expect(t.throttle.check(USER, IP).allowed).toBe(false);
  });

  it('forgets failures older than the 15-minute window (sliding)', () => {
    const t = setup();
    t.fail(4); // at t0
    t.advance(10 * MIN);
    t.fail(2); // at t0 + 10 min
    expect(t.throttle.check(USER, IP)).toEqual(allowed(2000)); // 6 failures
    t.advance(5 * MIN); // the first four are now 15 min old
    expect(t.throttle.check(USER, IP)).toEqual(allowed(0)); // 2 failures
    t.advance(10 * MIN);
    expect(t.throttle.size).toEqual({ accounts: 1, ips: 1 });
    expect(t.throttle.check(USER, IP)).toEqual(allowed(0));
    expect(t.throttle.size).toEqual({ accounts: 0, ips: 0 }); // stale entries are dropped
  });

  it('does not let failures spread over the window escape the lockout', () => {
    const t = setup();
    for (let i = 0; i < 10; i++) {
      t.fail(1);
      t.advance(MIN);
    }
    expect(t.throttle.check(USER, IP).allowed).toBe(false);
  });

  it('follows a configured policy', () => {
    const t = setup({ policy: { accountLockoutAfter: 3, delayAfter: 1, baseDelayMs: 100, lockoutMs: MIN } });
    t.fail(1);
    expect(t.throttle.check(USER, IP)).toEqual(allowed(100));
    t.fail(2);
    expect(t.throttle.check(USER, IP)).toEqual({ allowed: false, retryAfterMs: MIN });
  });

  it('stays bounded in memory, dropping the stalest entries', () => {
    const t = setup({ maxEntries: 50 });
    t.fail(5, 'victim@praxis.kim.test', '198.51.100.1');
    for (let i = 0; i < 1000; i++) t.fail(1, `user${i}@praxis.kim.test`, `10.0.${i >> 8}.${i & 255}`);
    expect(t.throttle.size).toEqual({ accounts: 50, ips: 50 });
    expect(t.throttle.check('user999@praxis.kim.test', '10.0.3.231')).toEqual(allowed(0));
    expect(t.throttle.check('victim@praxis.kim.test', '198.51.100.1')).toEqual(allowed(0)); // evicted
  });

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    const t = setup();
    t.fail(2, USER, '2001:db8:1:2::1');
    t.fail(2, 'x@praxis.kim.test', '2001:db8:1:2:ffff::99');
    expect(t.throttle.check('y@praxis.kim.test', '2001:0db8:0001:0002:0:0:0:5')).toEqual(allowed(500));
    expect(t.throttle.check('y@praxis.kim.test', '2001:db8:1:3::1')).toEqual(allowed(0));
    t.fail(3, 'z@praxis.kim.test', '::ffff:192.0.2.99');
    expect(t.throttle.check('y@praxis.kim.test', '192.0.2.99')).toEqual(allowed(250));
  });

  it('can be used through the AuthFailureCounter interface', async () => {
    const counter: AuthFailureCounter = setup().throttle;
    await counter.recordFailure(USER, IP);
    await counter.recordSuccess(USER, IP);
    expect(await counter.check(USER, IP)).toEqual(allowed(0));
  });
});

describe('ipKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::1', '0:0:0:0::/64'],
    ['2001:DB8::1', '2001:db8:0:0::/64'],
    ['2001:db8:aa:bb:cc:dd:ee:ff', '2001:db8:aa:bb::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['not-an-ip', 'not-an-ip'],
  ])('%s → %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });

  it('can keep full IPv6 addresses', () => {
    expect(ipKey('2001:db8::1', false)).toBe('2001:db8::1');
  });
});

describe('throttleDelay', () => {
  it('is 0 below the threshold and doubles from there up to the cap', () => {
    const p = DEFAULT_THROTTLE_POLICY;
    expect([0, 2, 3, 4, 7, 8, 1000].map((n) => throttleDelay(n, 3, p))).toEqual([
      0, 0, 250, 500, 4000, 5000, 5000,
    ]);
  });
});
