import { describe, it, expect } from 'vitest';
import {
  liveMessages,
  mailboxDecider,
  mailboxEvent,
  mailboxStats,
  mailboxStatus,
} from '../../../domain/mailbox/index.js';
import type { MailboxEvent } from '../../../domain/mailbox/index.js';
import { fold } from '../../../domain/shared/decider.js';
import {
  DIGEST,
  deleted,
  fetched,
  mailboxSpec,
  mbxClosed,
  mbxLocked,
  mbxUnlocked,
  minute,
  opened,
  received,
} from './fixtures.js';

describe('mailbox evolve', () => {
  it('evolve throws on a received event before the mailbox is opened (corrupt history)', () => {
    mailboxSpec()
      .given([received(1)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a received event with a uid out of sequence', () => {
    mailboxSpec()
      .given([opened, received(2)])
      .thenHistoryIsCorrupt();
    mailboxSpec()
      .given([opened, received(1), received(1, 'other')])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a received event for a message key already received', () => {
    mailboxSpec()
      .given([opened, received(1, 'k'), deleted(1), received(2, 'k')])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a received event whose size does not match trace header plus blob', () => {
    const bad = mailboxEvent('received', {
      uid: 1,
      messageKey: 'k',
      blobRef: 'b',
      blobSize: 10,
      traceHeader: 'X: y\r\n',
      size: 10,
      digest: DIGEST,
      arrivedAt: minute(1),
    });
    mailboxSpec().given([opened, bad]).thenHistoryIsCorrupt();
  });

  it('evolve throws on a deleted event for a uid that is not live', () => {
    mailboxSpec()
      .given([opened, received(1), deleted(2)])
      .thenHistoryIsCorrupt();
    mailboxSpec()
      .given([opened, received(1), deleted(1), deleted(1)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a fetched event for a uid that is not live', () => {
    mailboxSpec()
      .given([opened, fetched(1)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a received event for a closed mailbox', () => {
    mailboxSpec()
      .given([opened, mbxClosed, received(1)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on lock events that do not change the state', () => {
    mailboxSpec().given([opened, mbxLocked, mbxLocked]).thenHistoryIsCorrupt();
    mailboxSpec().given([opened, mbxUnlocked]).thenHistoryIsCorrupt();
  });

  it('evolve throws on a second opened event', () => {
    mailboxSpec().given([opened, opened]).thenHistoryIsCorrupt();
  });

  it('a failed evolve does not touch the live index', () => {
    const state = fold(mailboxDecider, [opened, received(1)]);
    expect(() => mailboxDecider.evolve(state, received(3))).toThrow();
    expect(liveMessages(state).map((m) => m.uid)).toEqual([1]);
  });

  it('a history of 10,000 received and 10,000 deleted events folds correctly', () => {
    const n = 10_000;
    const history: MailboxEvent[] = [opened];
    for (let uid = 1; uid <= n; uid++) {
      history.push(received(uid, `key-${uid}`, uid, minute(uid)));
      // Keep every 100th message; delete each other one right after the next one arrives.
      const previous = uid - 1;
      if (previous >= 1 && previous % 100 !== 0) history.push(deleted(previous, 'expired', minute(uid)));
    }
    const state = fold(mailboxDecider, history);
    const live = liveMessages(state).map((m) => m.uid);
    const expected = Array.from({ length: n / 100 }, (_, i) => (i + 1) * 100);
    expect(live).toEqual(expected);
    expect(mailboxStats(state)).toEqual({
      count: expected.length,
      bytes: expected.reduce((a, b) => a + b, 0),
    });
    expect(state.machine.context.nextUid).toBe(n + 1);
    expect(state.seenKeys.size).toBe(n);
    expect(mailboxStatus(state)).toBe('open');
    expect(history.length).toBeGreaterThan(19_800);
  });
});
