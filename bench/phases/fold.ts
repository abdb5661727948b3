/**
 * Fold speed through the xstate-backed deciders: a mailbox history of receives, fetches and
 * deletes, and an account history of lock/unlock and absence changes.
 */
import { accountDecider } from '../../domain/account/index.js';
import type { AccountEvent } from '../../domain/account/index.js';
import { mailboxDecider } from '../../domain/mailbox/index.js';
import type { MailboxEvent } from '../../domain/mailbox/index.js';
import { report, round } from '../support.js';

const N = Number(process.env['KIM_BENCH_FOLD_EVENTS'] ?? 300_000);
const at = '2026-11-28T12:00:00.000Z';
const hex = 'ab'.repeat(32);

function mailboxHistory(n: number): MailboxEvent[] {
  const events: MailboxEvent[] = [
    { type: 'opened', schemaVersion: 1, data: { mailboxId: 'm', accountId: 'a', at } },
  ];
  let uid = 0;
  while (events.length < n) {
    uid += 1;
    events.push({
      type: 'received',
      schemaVersion: 1,
      data: {
        uid,
        messageKey: `k${uid}`,
        blobRef: hex,
        blobSize: 1000,
        traceHeader: '',
        size: 1000,
        digest: hex,
        arrivedAt: at,
      },
    });
    events.push({ type: 'fetched', schemaVersion: 1, data: { uid, sessionId: 's', at } });
    events.push({ type: 'deleted', schemaVersion: 1, data: { uid, reason: 'pop3', sessionId: 's', at } });
  }
  return events;
}

function accountHistory(n: number): AccountEvent[] {
  const events: AccountEvent[] = [
    {
      type: 'registered',
      schemaVersion: 1,
      data: {
        accountId: 'a',
        address: 'a@x.kim.telematik',
        telematikId: null,
        passwordHash: 'h',
        kimVersion: '1.5',
        dataTimeToLive: 90,
        at,
      },
    },
  ];
  while (events.length < n) {
    events.push({ type: 'locked', schemaVersion: 1, data: { reason: 'operator', at } });
    events.push({ type: 'unlocked', schemaVersion: 1, data: { at } });
  }
  return events;
}

function time<S, E>(decider: { initialState(): S; evolve(s: S, e: E): S }, events: readonly E[]): number {
  const start = performance.now();
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return events.length / ((performance.now() - start) / 1000);
}

const mailbox = mailboxHistory(N);
const account = accountHistory(N);
time(mailboxDecider, mailbox.slice(0, 10_000)); // warm up the JIT
time(accountDecider, account.slice(0, 10_000));
report({
  phase: 'fold',
  events: N,
  foldEventsPerSecond: {
    mailbox: round(time(mailboxDecider, mailbox), 0),
    account: round(time(accountDecider, account), 0),
  },
});
