import {
  decodeSubmissionEvent,
  submissionDecider,
  submissionEvent,
} from '../../../domain/submission/index.js';
import type { AcceptSubmission, SubmissionEvent } from '../../../domain/submission/index.js';
import { spec } from '../../support/deciderSpec.js';

export const T0 = '2026-03-01T10:00:00.000Z';
export const minute = (m: number): string => new Date(Date.parse(T0) + m * 60_000).toISOString();

export const SUBMISSION_ID = 'sub-1';
export const DIGEST = 'd'.repeat(64);
export const ALICE = 'Alice@Praxis.kim.telematik';
export const BOB = 'bob@klinik.kim.telematik';

export const submissionSpec = () => spec(submissionDecider, { decode: decodeSubmissionEvent });

export const acceptCommand = (extra: Partial<AcceptSubmission> = {}): AcceptSubmission => ({
  type: 'AcceptSubmission',
  submissionId: SUBMISSION_ID,
  sender: 'sender@arzt.kim.telematik',
  authUser: 'acc-1',
  recipients: [{ address: ALICE }, { address: BOB, notify: ['FAILURE', 'DELAY'], orcpt: `rfc822;${BOB}` }],
  envelopeId: 'env-1',
  ret: 'HDRS',
  blobRef: 'blob-1',
  size: 4242,
  digest: DIGEST,
  messageId: '<m1@arzt>',
  now: T0,
  ...extra,
});

export const accepted: SubmissionEvent = submissionEvent('accepted', {
  submissionId: SUBMISSION_ID,
  sender: 'sender@arzt.kim.telematik',
  authUser: 'acc-1',
  recipients: [{ address: ALICE }, { address: BOB, notify: ['FAILURE', 'DELAY'], orcpt: `rfc822;${BOB}` }],
  envelopeId: 'env-1',
  ret: 'HDRS',
  blobRef: 'blob-1',
  size: 4242,
  digest: DIGEST,
  messageId: '<m1@arzt>',
  acceptedAt: T0,
});

export const deliveredTo = (recipient: string, uid = 1, at = minute(1)): SubmissionEvent =>
  submissionEvent('deliveredLocally', { recipient, mailboxId: 'mbx-1', uid, at });
export const relayedTo = (recipient: string, at = minute(1)): SubmissionEvent =>
  submissionEvent('relayed', { recipient, remoteHost: 'mx.other.kim', response: '250 2.0.0 OK', at });
export const deferredFor = (recipient: string, attempt: number, at = minute(attempt)): SubmissionEvent =>
  submissionEvent('deferred', {
    recipient,
    attempt,
    nextAttemptAt: minute(attempt + 10),
    reason: '451 try later',
    at,
  });
export const bouncedFor = (recipient: string, at = minute(1)): SubmissionEvent =>
  submissionEvent('bounced', { recipient, status: '5.1.1', diagnostic: '550 5.1.1 no such user', at });
export const completed = (at = minute(1)): SubmissionEvent => submissionEvent('completed', { at });
