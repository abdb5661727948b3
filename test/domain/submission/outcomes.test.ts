import { describe, it, expect } from 'vitest';
import {
  dueRecipients,
  pendingRecipients,
  submissionEvent,
  submissionStatus,
} from '../../../domain/submission/index.js';
import {
  ALICE,
  BOB,
  accepted,
  bouncedFor,
  completed,
  deferredFor,
  deliveredTo,
  minute,
  relayedTo,
  submissionSpec,
} from './fixtures.js';

describe('submission outcomes', () => {
  it('delivering to one of two recipients records the delivery and keeps the submission open', () => {
    submissionSpec()
      .given([accepted])
      .when({ type: 'RecordDelivery', recipient: ALICE, mailboxId: 'mbx-1', uid: 1, now: minute(1) })
      .then([deliveredTo(ALICE)])
      .thenState((s) => {
        expect(submissionStatus(s)).toBe('accepted');
        expect(pendingRecipients(s).map((r) => r.address)).toEqual([BOB]);
      });
  });

  it('the outcome that makes all recipients final also completes the submission in one batch', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE)])
      .when({
        type: 'RecordRelay',
        recipient: BOB,
        remoteHost: 'mx.other.kim',
        response: '250 2.0.0 OK',
        now: minute(1),
      })
      .then([relayedTo(BOB), completed()])
      .thenState((s) => {
        expect(submissionStatus(s)).toBe('completed');
        expect(pendingRecipients(s)).toEqual([]);
      });
  });

  it('a bounce counts as final for completion', () => {
    submissionSpec()
      .given([accepted, relayedTo(ALICE)])
      .when({
        type: 'BounceRecipient',
        recipient: BOB,
        status: '5.1.1',
        diagnostic: '550 5.1.1 no such user',
        now: minute(1),
      })
      .then([bouncedFor(BOB), completed()]);
  });

  it('recipients are matched case-insensitively and named with their accepted spelling', () => {
    submissionSpec()
      .given([accepted])
      .when({
        type: 'RecordDelivery',
        recipient: ALICE.toLowerCase(),
        mailboxId: 'mbx-1',
        uid: 1,
        now: minute(1),
      })
      .then([deliveredTo(ALICE)]);
  });

  it('an outcome for an unknown recipient is rejected with UNKNOWN_RECIPIENT', () => {
    submissionSpec()
      .given([accepted])
      .when({ type: 'RecordDelivery', recipient: 'eve@x', mailboxId: 'mbx-1', uid: 1, now: minute(1) })
      .thenThrows('UNKNOWN_RECIPIENT');
  });

  it('an outcome for a recipient that is already final is a no-op', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE)])
      .when({ type: 'RecordDelivery', recipient: ALICE, mailboxId: 'mbx-1', uid: 1, now: minute(2) })
      .thenNothingHappened();
    submissionSpec()
      .given([accepted, deliveredTo(ALICE)])
      .when({
        type: 'BounceRecipient',
        recipient: ALICE,
        status: '5.0.0',
        diagnostic: 'late',
        now: minute(2),
      })
      .thenNothingHappened();
  });

  it('deferring a recipient counts attempts from 1', () => {
    submissionSpec()
      .given([accepted])
      .when({
        type: 'DeferRecipient',
        recipient: BOB,
        reason: '451 try later',
        nextAttemptAt: minute(11),
        now: minute(1),
      })
      .then([deferredFor(BOB, 1)])
      .thenState((s) =>
        expect(s.machine.context.recipients[BOB]).toEqual({
          address: BOB,
          state: 'deferred',
          attempts: 1,
          nextAttemptAt: minute(11),
        }),
      );
  });

  it('the attempt of a deferral is the previous attempts plus one', () => {
    submissionSpec()
      .given([accepted, deferredFor(BOB, 1), deferredFor(BOB, 2)])
      .when({
        type: 'DeferRecipient',
        recipient: BOB,
        reason: '451 try later',
        nextAttemptAt: minute(13),
        now: minute(3),
      })
      .then([deferredFor(BOB, 3)]);
  });

  it('a deferral never completes the submission', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE)])
      .when({
        type: 'DeferRecipient',
        recipient: BOB,
        reason: '451 try later',
        nextAttemptAt: minute(11),
        now: minute(1),
      })
      .then([deferredFor(BOB, 1)])
      .thenState((s) => expect(submissionStatus(s)).toBe('accepted'));
  });

  it('a deferred recipient can still be delivered and that clears its next attempt', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), deferredFor(BOB, 1)])
      .when({ type: 'RecordDelivery', recipient: BOB, mailboxId: 'mbx-2', uid: 7, now: minute(12) })
      .then([
        submissionEvent('deliveredLocally', { recipient: BOB, mailboxId: 'mbx-2', uid: 7, at: minute(12) }),
        completed(minute(12)),
      ])
      .thenState((s) =>
        expect(s.machine.context.recipients[BOB]).toEqual({ address: BOB, state: 'delivered', attempts: 1 }),
      );
  });

  it('a deferral whose next attempt is not after now is rejected', () => {
    submissionSpec()
      .given([accepted])
      .when({ type: 'DeferRecipient', recipient: BOB, reason: 'x', nextAttemptAt: minute(1), now: minute(1) })
      .thenThrows('INVALID_COMMAND');
  });

  it('a bounce with a status that is not a failure code is rejected', () => {
    submissionSpec()
      .given([accepted])
      .when({ type: 'BounceRecipient', recipient: BOB, status: '2.0.0', diagnostic: 'x', now: minute(1) })
      .thenThrows('INVALID_COMMAND');
    submissionSpec()
      .given([accepted])
      .when({ type: 'BounceRecipient', recipient: BOB, status: 'bad', diagnostic: 'x', now: minute(1) })
      .thenThrows('INVALID_COMMAND');
  });

  it('an expired deferral may bounce with a 4.x.x status', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), deferredFor(BOB, 1)])
      .when({
        type: 'BounceRecipient',
        recipient: BOB,
        status: '4.4.7',
        diagnostic: 'delivery time expired',
        now: minute(20),
      })
      .then([
        submissionEvent('bounced', {
          recipient: BOB,
          status: '4.4.7',
          diagnostic: 'delivery time expired',
          at: minute(20),
        }),
        completed(minute(20)),
      ]);
  });

  it('a repeated outcome for a recipient of a completed submission is a no-op', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), relayedTo(BOB), completed()])
      .when({
        type: 'RecordRelay',
        recipient: BOB,
        remoteHost: 'mx.other.kim',
        response: '250',
        now: minute(5),
      })
      .thenNothingHappened();
  });

  it('an outcome for an unknown recipient of a completed submission is rejected with SUBMISSION_COMPLETED', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), relayedTo(BOB), completed()])
      .when({ type: 'RecordRelay', recipient: 'eve@x', remoteHost: 'mx', response: '250', now: minute(5) })
      .thenThrows('SUBMISSION_COMPLETED');
  });

  it('dueRecipients lists pending recipients and deferred ones whose next attempt has come', () => {
    submissionSpec()
      .given([accepted, deferredFor(BOB, 1)])
      .thenState((s) => {
        expect(dueRecipients(s, minute(5)).map((r) => r.address)).toEqual([ALICE]);
        expect(dueRecipients(s, minute(11)).map((r) => r.address)).toEqual([ALICE, BOB]);
      });
  });
});
