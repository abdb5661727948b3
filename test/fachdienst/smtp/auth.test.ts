import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import { RawSmtp, status } from './support.js';

/**
 * SMTP AUTH against the accounts: locked accounts, wrong passwords, the per-connection limit
 * and the throttle. Failed logins from 127.0.0.1 count against that IP for every account, so
 * the throttle is measured on a Fachdienst of its own that has seen no failure before.
 */
const ALICE = 'alice@a.kim.test';
const LOCKED = 'locked@a.kim.test';
const LATER = 'later@a.kim.test';
const WRONG = 'Wrong-Passw0rd!';
let fd: TestFachdienst;
let fresh: TestFachdienst;

beforeAll(async () => {
  [fd, fresh] = await Promise.all([startTestFachdienst(), startTestFachdienst()]);
  for (const user of [ALICE, LOCKED, LATER]) await fd.addAccount(user);
  await fd.lockAccount(LOCKED, true);
  await fresh.addAccount(ALICE);
});

afterAll(async () => {
  await Promise.all([fd?.stop(), fresh?.stop()]);
});

async function greeted(target: TestFachdienst): Promise<RawSmtp> {
  const client = await RawSmtp.connect(target.app.ports.smtp, target.ca);
  expect((await client.reply()).code).toBe(220);
  expect((await client.command('EHLO client.a.kim.test')).code).toBe(250);
  return client;
}

describe('locked accounts', () => {
  it('answers AUTH of a locked account with 535 5.7.8, even with the right password', async () => {
    const client = await greeted(fd);
    try {
      const reply = await client.authPlain(LOCKED, PASSWORD);
      expect(status(reply)).toBe('535 5.7.8');
      expect(status(await client.command(`MAIL FROM:<${LOCKED}>`))).toBe('530 5.7.0');
    } finally {
      client.close();
    }
  });

  it('refuses MAIL FROM with 550 5.7.1 when the account was locked after login', async () => {
    const client = await greeted(fd);
    try {
      expect(status(await client.authPlain(LATER, PASSWORD))).toBe('235 -');
      await fd.lockAccount(LATER, true);
      expect(status(await client.command(`MAIL FROM:<${LATER}>`))).toBe('550 5.7.1');
      await fd.lockAccount(LATER, false);
      expect(status(await client.command(`MAIL FROM:<${LATER}>`))).toBe('250 -');
    } finally {
      client.close();
    }
  });
});

describe('wrong passwords', () => {
  it('answers a wrong password with 535 5.7.8 and lets the client try again', async () => {
    const client = await greeted(fd);
    try {
      expect(status(await client.authPlain(ALICE, WRONG))).toBe('535 5.7.8');
      expect(status(await client.authPlain('nobody@a.kim.test', WRONG))).toBe('535 5.7.8');
      expect(status(await client.authPlain(ALICE, PASSWORD))).toBe('235 -');
    } finally {
      client.close();
    }
  });

  it('answers the third failure on one connection with 421 and closes the connection', async () => {
    const client = await greeted(fd);
    try {
      expect(status(await client.authPlain(ALICE, WRONG))).toBe('535 5.7.8');
      expect(status(await client.authPlain(ALICE, WRONG))).toBe('535 5.7.8');
      const third = await client.authPlain(ALICE, WRONG);
      expect(status(third)).toBe('421 4.7.0');
      await client.waitClosed();
      expect(client.isEnded).toBe(true);
    } finally {
      client.close();
    }
  });
});

describe('throttling across connections', () => {
  it('delays repeated failures of one account and locks it out after 10 (454 4.7.0, right password too)', async () => {
    const timings: number[] = [];
    const replies: string[] = [];
    // One attempt per connection, so the per-connection limit never applies.
    for (let attempt = 1; attempt <= 10; attempt++) {
      const client = await greeted(fresh);
      try {
        const started = performance.now();
        const reply = await client.authPlain(ALICE, WRONG);
        timings.push(performance.now() - started);
        replies.push(status(reply));
      } finally {
        client.close();
      }
    }
    console.info(`AUTH answer times (ms): ${timings.map((t) => t.toFixed(0)).join(', ')}`);
    expect(replies).toEqual(Array<string>(10).fill('535 5.7.8'));
    // Each answer includes a password hash whose time varies with the machine's load; the
    // fastest of the first three (undelayed) answers is the baseline. The throttle adds 250 ms
    // at the 4th attempt and 500 ms at the 5th.
    const baseline = Math.min(...timings.slice(0, 3));
    expect(timings[3]!).toBeGreaterThanOrEqual(baseline + 200);
    expect(timings[4]!).toBeGreaterThanOrEqual(baseline + 400);

    const client = await greeted(fresh);
    try {
      const started = performance.now();
      const locked = await client.authPlain(ALICE, PASSWORD);
      expect(status(locked)).toBe('454 4.7.0');
      // A locked-out client gets its answer at once, without a password check.
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('530 5.7.0');
    } finally {
      client.close();
    }
  }, 60_000);
});
