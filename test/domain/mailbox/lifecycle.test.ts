import { describe, it, expect } from 'vitest';
import { mailboxEvent, mailboxStatus } from '../../../domain/mailbox/index.js';
import {
  ACCOUNT_ID,
  MAILBOX_ID,
  T0,
  mailboxSpec,
  mbxClosed,
  mbxLocked,
  mbxUnlocked,
  minute,
  opened,
  received,
} from './fixtures.js';

describe('mailbox lifecycle', () => {
  it('opening a mailbox opens it for its account', () => {
    mailboxSpec()
      .when({ type: 'OpenMailbox', mailboxId: MAILBOX_ID, accountId: ACCOUNT_ID, now: T0 })
      .then([opened])
      .thenState((s) => {
        expect(mailboxStatus(s)).toBe('open');
        expect(s.machine.context).toMatchObject({
          mailboxId: MAILBOX_ID,
          accountId: ACCOUNT_ID,
          nextUid: 1,
          liveCount: 0,
        });
      });
  });

  it('opening an existing mailbox is rejected with MAILBOX_EXISTS', () => {
    mailboxSpec()
      .given([opened])
      .when({ type: 'OpenMailbox', mailboxId: MAILBOX_ID, accountId: ACCOUNT_ID, now: T0 })
      .thenThrows('MAILBOX_EXISTS');
  });

  it('opening a closed mailbox again is rejected with MAILBOX_EXISTS', () => {
    mailboxSpec()
      .given([opened, mbxClosed])
      .when({ type: 'OpenMailbox', mailboxId: MAILBOX_ID, accountId: ACCOUNT_ID, now: T0 })
      .thenThrows('MAILBOX_EXISTS');
  });

  it('commands on a mailbox that does not exist are rejected with MAILBOX_NOT_FOUND', () => {
    mailboxSpec().when({ type: 'LockMailbox', reason: 'x', now: T0 }).thenThrows('MAILBOX_NOT_FOUND');
    mailboxSpec()
      .when({ type: 'RecordFetch', uids: [1], sessionId: 's', now: T0 })
      .thenThrows('MAILBOX_NOT_FOUND');
    mailboxSpec()
      .when({ type: 'DeleteMessages', uids: [1], reason: 'pop3', now: T0 })
      .thenThrows('MAILBOX_NOT_FOUND');
  });

  it('locking an open mailbox locks it', () => {
    mailboxSpec()
      .given([opened])
      .when({ type: 'LockMailbox', reason: 'operator', now: minute(10) })
      .then([mbxLocked])
      .thenState((s) => {
        expect(mailboxStatus(s)).toBe('locked');
        expect(s.machine.context.lockReason).toBe('operator');
      });
  });

  it('locking a locked mailbox is a no-op', () => {
    mailboxSpec()
      .given([opened, mbxLocked])
      .when({ type: 'LockMailbox', reason: 'again', now: minute(12) })
      .thenNothingHappened();
  });

  it('unlocking a locked mailbox opens it again', () => {
    mailboxSpec()
      .given([opened, mbxLocked])
      .when({ type: 'UnlockMailbox', now: minute(11) })
      .then([mbxUnlocked])
      .thenState((s) => expect(mailboxStatus(s)).toBe('open'));
  });

  it('unlocking an open mailbox is a no-op', () => {
    mailboxSpec()
      .given([opened])
      .when({ type: 'UnlockMailbox', now: minute(11) })
      .thenNothingHappened();
  });

  it('a locked mailbox still accepts delivery', () => {
    mailboxSpec()
      .given([opened, mbxLocked])
      .when({
        type: 'ReceiveMessage',
        messageKey: 'key-1',
        blobRef: 'blob-key-1',
        blobSize: 1000,
        traceHeader: '',
        digest: 'c'.repeat(64),
        now: minute(1),
      })
      .then([received(1)])
      .thenState((s) => expect(mailboxStatus(s)).toBe('locked'));
  });

  it('closing a mailbox closes it and deletes nothing', () => {
    mailboxSpec()
      .given([opened, received(1), received(2)])
      .when({ type: 'CloseMailbox', reason: 'account purged', now: minute(200) })
      .then([mbxClosed])
      .thenState((s) => {
        expect(mailboxStatus(s)).toBe('closed');
        expect(s.live.size).toBe(2);
        expect(s.machine.context.liveCount).toBe(2);
      });
  });

  it('closing a locked mailbox is allowed', () => {
    mailboxSpec()
      .given([opened, mbxLocked])
      .when({ type: 'CloseMailbox', reason: 'account purged', now: minute(200) })
      .then([mbxClosed]);
  });

  it('closing a closed mailbox is a no-op', () => {
    mailboxSpec()
      .given([opened, mbxClosed])
      .when({ type: 'CloseMailbox', reason: 'again', now: minute(201) })
      .thenNothingHappened();
  });

  it('a closed mailbox rejects delivery with MAILBOX_CLOSED', () => {
    mailboxSpec()
      .given([opened, mbxClosed])
      .when({
        type: 'ReceiveMessage',
        messageKey: 'new',
        blobRef: 'b',
        blobSize: 1,
        traceHeader: '',
        digest: 'c'.repeat(64),
        now: minute(201),
      })
      .thenThrows('MAILBOX_CLOSED');
  });

  it('a closed mailbox rejects lock and unlock with MAILBOX_CLOSED', () => {
    mailboxSpec()
      .given([opened, mbxClosed])
      .when({ type: 'LockMailbox', reason: 'x', now: minute(201) })
      .thenThrows('MAILBOX_CLOSED');
    mailboxSpec()
      .given([opened, mbxClosed])
      .when({ type: 'UnlockMailbox', now: minute(201) })
      .thenThrows('MAILBOX_CLOSED');
  });

  it('a closed mailbox still records deletions', () => {
    mailboxSpec()
      .given([opened, received(1), mbxClosed])
      .when({ type: 'DeleteMessages', uids: [1], reason: 'purge', now: minute(300) })
      .then([mailboxEvent('deleted', { uid: 1, reason: 'purge', at: minute(300) })])
      .thenState((s) => expect(s.live.size).toBe(0));
  });
});
