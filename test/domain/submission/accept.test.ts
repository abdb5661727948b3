import { describe, it, expect } from 'vitest';
import { pendingRecipients, submissionEvent, submissionStatus } from '../../../domain/submission/index.js';
import {
  ALICE,
  BOB,
  DIGEST,
  SUBMISSION_ID,
  T0,
  acceptCommand,
  accepted,
  submissionSpec,
} from './fixtures.js';

describe('submission acceptance', () => {
  it('accepting a submission queues every recipient as pending', () => {
    submissionSpec()
      .when(acceptCommand())
      .then([accepted])
      .thenState((s) => {
        expect(submissionStatus(s)).toBe('accepted');
        expect(pendingRecipients(s)).toEqual([
          { address: ALICE, state: 'pending', attempts: 0 },
          { address: BOB, state: 'pending', attempts: 0 },
        ]);
        expect(s.machine.context.recipients['alice@praxis.kim.telematik']?.address).toBe(ALICE);
      });
  });

  it('a null sender and no DSN parameters are accepted', () => {
    submissionSpec()
      .when({
        type: 'AcceptSubmission',
        submissionId: SUBMISSION_ID,
        sender: '',
        authUser: null,
        recipients: [{ address: BOB }],
        blobRef: 'b',
        size: 1,
        digest: DIGEST,
        now: T0,
      })
      .then([
        submissionEvent('accepted', {
          submissionId: SUBMISSION_ID,
          sender: '',
          authUser: null,
          recipients: [{ address: BOB }],
          blobRef: 'b',
          size: 1,
          digest: DIGEST,
          acceptedAt: T0,
        }),
      ]);
  });

  it('a submission without recipients is rejected with NO_RECIPIENTS', () => {
    submissionSpec()
      .when(acceptCommand({ recipients: [] }))
      .thenThrows('NO_RECIPIENTS');
  });

  it('accepting an existing submission is rejected with SUBMISSION_EXISTS', () => {
    submissionSpec().given([accepted]).when(acceptCommand()).thenThrows('SUBMISSION_EXISTS');
  });

  it('duplicate recipients differing only in case collapse to the first', () => {
    submissionSpec()
      .when(acceptCommand({ recipients: [{ address: ALICE }, { address: ALICE.toUpperCase() }] }))
      .thenState((s) => expect(pendingRecipients(s).map((r) => r.address)).toEqual([ALICE]));
  });

  it('NOTIFY=NEVER combined with other values is rejected', () => {
    submissionSpec()
      .when(acceptCommand({ recipients: [{ address: BOB, notify: ['NEVER', 'FAILURE'] }] }))
      .thenThrows('INVALID_COMMAND');
  });

  it('a digest that is not a lowercase hex SHA-256 is rejected', () => {
    submissionSpec()
      .when(acceptCommand({ digest: 'nope' }))
      .thenThrows('INVALID_COMMAND');
  });

  it('outcomes for a submission that does not exist are rejected with SUBMISSION_NOT_FOUND', () => {
    submissionSpec()
      .when({ type: 'RecordDelivery', recipient: ALICE, mailboxId: 'm', uid: 1, now: T0 })
      .thenThrows('SUBMISSION_NOT_FOUND');
  });
});
