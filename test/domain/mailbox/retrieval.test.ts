import { describe, it, expect } from 'vitest';
import { liveMessages, mailboxEvent, mailboxStats } from '../../../domain/mailbox/index.js';
import { deleted, fetched, mailboxSpec, mbxLocked, minute, opened, received } from './fixtures.js';

const three = [opened, received(1, 'a', 100), received(2, 'b', 200), received(3, 'c', 300)];

describe('mailbox retrieval and deletion', () => {
  it('recording a fetch of a live message records it', () => {
    mailboxSpec()
      .given(three)
      .when({ type: 'RecordFetch', uids: [2], sessionId: 's-1', now: minute(50) })
      .then([fetched(2)])
      .thenState((s) => expect(s.machine.context.lastEventAt).toBe(minute(50)));
  });

  it('recording a fetch of a uid that is not live is a no-op', () => {
    mailboxSpec()
      .given([...three, deleted(2)])
      .when({ type: 'RecordFetch', uids: [2], sessionId: 's-1', now: minute(150) })
      .thenNothingHappened();
    mailboxSpec()
      .given(three)
      .when({ type: 'RecordFetch', uids: [99], sessionId: 's-1', now: minute(50) })
      .thenNothingHappened();
  });

  it('fetches of one session are recorded together, in order, skipping uids no longer live', () => {
    mailboxSpec()
      .given([...three, deleted(2)])
      .when({ type: 'RecordFetch', uids: [3, 2, 1, 3], sessionId: 's-1', now: minute(150) })
      .then([fetched(3, minute(150)), fetched(1, minute(150)), fetched(3, minute(150))]);
  });

  it('a fetch is recorded while the mailbox is locked (a session that began before the lock)', () => {
    mailboxSpec()
      .given([...three, mbxLocked])
      .when({ type: 'RecordFetch', uids: [1], sessionId: 's-1', now: minute(50) })
      .then([fetched(1, minute(50))]);
  });

  it('deleting messages emits one deleted per live uid', () => {
    mailboxSpec()
      .given(three)
      .when({ type: 'DeleteMessages', uids: [3, 1], reason: 'pop3', sessionId: 's-1', now: minute(100) })
      .then([deleted(3), deleted(1)])
      .thenState((s) => {
        expect(liveMessages(s).map((m) => m.uid)).toEqual([2]);
        expect(mailboxStats(s)).toEqual({ count: 1, bytes: 200 });
      });
  });

  it('deleting skips uids that are not live and duplicates', () => {
    mailboxSpec()
      .given([...three, deleted(2)])
      .when({
        type: 'DeleteMessages',
        uids: [2, 1, 1, 42],
        reason: 'pop3',
        sessionId: 's-1',
        now: minute(100),
      })
      .then([deleted(1)]);
  });

  it('deleting only uids that are not live is a no-op', () => {
    mailboxSpec()
      .given(three)
      .when({ type: 'DeleteMessages', uids: [7, 8], reason: 'expired', now: minute(100) })
      .thenNothingHappened();
    mailboxSpec()
      .given(three)
      .when({ type: 'DeleteMessages', uids: [], reason: 'expired', now: minute(100) })
      .thenNothingHappened();
  });

  it('deletion without a session records no session id', () => {
    mailboxSpec()
      .given(three)
      .when({ type: 'DeleteMessages', uids: [1], reason: 'expired', now: minute(100) })
      .then([mailboxEvent('deleted', { uid: 1, reason: 'expired', at: minute(100) })]);
  });

  it('deleting every message brings count and bytes back to zero', () => {
    mailboxSpec()
      .given(three)
      .when({ type: 'DeleteMessages', uids: [1, 2, 3], reason: 'operator', now: minute(100) })
      .thenState((s) => {
        expect(mailboxStats(s)).toEqual({ count: 0, bytes: 0 });
        expect(liveMessages(s)).toEqual([]);
        expect(s.machine.context.nextUid).toBe(4);
      });
  });

  it('liveMessages lists messages in ascending uid order', () => {
    mailboxSpec()
      .given([...three, deleted(2)])
      .thenState((s) =>
        expect(liveMessages(s)).toEqual([
          { uid: 1, size: 100, blobRef: 'blob-a', messageKey: 'a' },
          { uid: 3, size: 300, blobRef: 'blob-c', messageKey: 'c' },
        ]),
      );
  });
});
