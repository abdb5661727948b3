import type { Instant } from '../shared/event.js';
import { toMillis } from '../shared/time.js';
import type { RecipientStatus, SubmissionSnapshot } from './machine.js';

export type SubmissionStatus = 'none' | 'accepted' | 'completed';

interface HasMachine {
  readonly machine: SubmissionSnapshot;
}

export function submissionStatus(state: HasMachine): SubmissionStatus {
  const m = state.machine;
  if (m.matches('accepted')) return 'accepted';
  if (m.matches('completed')) return 'completed';
  return 'none';
}

/** Recipients still to be delivered (pending or deferred), in accepted order. */
export function pendingRecipients(state: HasMachine): RecipientStatus[] {
  return Object.values(state.machine.context.recipients).filter(
    (r) => r.state === 'pending' || r.state === 'deferred',
  );
}

/** Pending recipients, plus deferred ones whose next attempt is due at `now`. */
export function dueRecipients(state: HasMachine, now: Instant): RecipientStatus[] {
  const t = toMillis(now);
  return pendingRecipients(state).filter(
    (r) => r.state === 'pending' || (r.nextAttemptAt !== undefined && toMillis(r.nextAttemptAt) <= t),
  );
}
