import type { Instant } from '../shared/event.js';
import { isBefore, toMillis } from '../shared/time.js';
import type { AccountSnapshot } from './machine.js';

export type AccountStatus = 'none' | 'pending' | 'active' | 'locked' | 'deregistered' | 'purged';

interface HasMachine {
  readonly machine: AccountSnapshot;
}

export function accountStatus(state: HasMachine): AccountStatus {
  const m = state.machine;
  if (m.matches('none')) return 'none';
  if (m.matches('pending')) return 'pending';
  if (m.matches({ registered: { access: 'locked' } })) return 'locked';
  if (m.matches('registered')) return 'active';
  if (m.matches('deregistered')) return 'deregistered';
  return 'purged';
}

/** Sending (SMTP submission) needs a registered, unlocked account. */
export function canSend(state: HasMachine): boolean {
  return accountStatus(state) === 'active';
}

/**
 * Retrieving (POP3) needs a registered, unlocked account, or a deregistered one whose grace
 * period has not ended and that was not locked when it was deregistered.
 */
export function canRetrieve(state: HasMachine, now: Instant): boolean {
  const status = accountStatus(state);
  if (status === 'active') return true;
  const { graceUntil, lockReason } = state.machine.context;
  return (
    status === 'deregistered' &&
    lockReason === undefined &&
    graceUntil !== undefined &&
    isBefore(now, graceUntil)
  );
}

/** Whether a login may succeed at all: true iff some operation is allowed (= canRetrieve). */
export function canAuthenticate(state: HasMachine, now: Instant): boolean {
  return canRetrieve(state, now);
}

/** A registered account's absence note is set and `from <= now < until`. */
export function absenceActive(state: HasMachine, now: Instant): boolean {
  const status = accountStatus(state);
  const absence = state.machine.context.absence;
  if ((status !== 'active' && status !== 'locked') || absence === undefined) return false;
  const t = toMillis(now);
  return toMillis(absence.from) <= t && t < toMillis(absence.until);
}
