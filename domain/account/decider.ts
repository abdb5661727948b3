import type { Decider } from '../shared/decider.js';
import { DomainError } from '../shared/errors.js';
import type { Instant } from '../shared/event.js';
import { advance, initialSnapshot } from '../shared/machine.js';
import { addDays, isBefore, isInstant, toMillis } from '../shared/time.js';
import type { AccountCommand, ChangeBaseData, Register, SetAbsence } from './commands.js';
import {
  ABSENCE_TEXT_MAX_CHARS,
  DATA_TIME_TO_LIVE_MAX_DAYS,
  DATA_TIME_TO_LIVE_MIN_DAYS,
  DISPLAY_NAME_MAX_CHARS,
  accountEvent,
  kimVersions,
} from './events.js';
import type { AccountEvent, AccountEventData } from './events.js';
import { accountMachine } from './machine.js';
import type { AccountSnapshot } from './machine.js';
import { accountStatus } from './queries.js';

/** The folded account: just the machine snapshot (its context is small and bounded). */
export interface AccountState {
  machine: AccountSnapshot;
}

export const ACCOUNT_AGGREGATE = 'account';

export const accountDecider: Decider<AccountState, AccountCommand, AccountEvent> = {
  aggregate: ACCOUNT_AGGREGATE,
  initialState: () => ({ machine: initialSnapshot(accountMachine) }),
  evolve(state, event) {
    state.machine = advance(ACCOUNT_AGGREGATE, accountMachine, state.machine, event);
    return state;
  },
  decide,
};

function decide(command: AccountCommand, state: AccountState): AccountEvent[] {
  if (!isInstant(command.now)) invalid('now is not an ISO-8601 instant');
  switch (command.type) {
    case 'IssueRegistrationCode':
      return issueRegistrationCode(command, state);
    case 'Register':
      return register(command, state);
    case 'ChangePassword': {
      const ctx = requireRegistered(state);
      if (command.passwordHash === '') invalid('passwordHash is empty');
      if (command.passwordHash === ctx.passwordHash) return [];
      return [accountEvent('passwordChanged', { passwordHash: command.passwordHash, at: command.now })];
    }
    case 'ChangeBaseData':
      return changeBaseData(command, state);
    case 'Lock': {
      requireRegistered(state);
      if (accountStatus(state) === 'locked') return [];
      const by = command.by === undefined ? {} : { by: command.by };
      return [accountEvent('locked', { reason: command.reason, ...by, at: command.now })];
    }
    case 'Unlock': {
      requireRegistered(state);
      if (accountStatus(state) !== 'locked') return [];
      const by = command.by === undefined ? {} : { by: command.by };
      return [accountEvent('unlocked', { ...by, at: command.now })];
    }
    case 'SetAbsence':
      return setAbsence(command, state);
    case 'ClearAbsence': {
      const ctx = requireRegistered(state);
      if (ctx.absence === undefined) return [];
      return [accountEvent('present', { at: command.now })];
    }
    case 'Deregister': {
      if (accountStatus(state) === 'deregistered') return [];
      requireRegistered(state);
      if (!Number.isSafeInteger(command.graceDays) || command.graceDays < 0) {
        invalid('graceDays must be a non-negative whole number');
      }
      return [
        accountEvent('deregistered', {
          at: command.now,
          graceUntil: addDays(command.now, command.graceDays),
        }),
      ];
    }
    case 'RevokeDeregistration': {
      const graceUntil = requireDeregistered(state);
      if (!isBefore(command.now, graceUntil)) {
        throw new DomainError('ACCOUNT_DEREGISTERED', `the grace period ended at ${graceUntil}`);
      }
      return [accountEvent('deregistrationRevoked', { at: command.now })];
    }
    case 'Purge': {
      if (accountStatus(state) === 'purged') return [];
      const graceUntil = requireDeregistered(state);
      if (command.force !== true && isBefore(command.now, graceUntil)) {
        throw new DomainError('GRACE_PERIOD_RUNNING', `the grace period runs until ${graceUntil}`);
      }
      return [accountEvent('purged', { at: command.now })];
    }
  }
}

function issueRegistrationCode(
  command: Extract<AccountCommand, { type: 'IssueRegistrationCode' }>,
  state: AccountState,
): AccountEvent[] {
  const status = accountStatus(state);
  rejectFinished(status);
  if (status !== 'none' && status !== 'pending')
    throw new DomainError('ACCOUNT_EXISTS', 'account is registered');
  const ctx = state.machine.context;
  if (command.accountId === '') invalid('accountId is empty');
  if (status === 'pending' && command.accountId !== ctx.accountId)
    invalid('accountId does not match the stream');
  if (command.telematikId === '') invalid('telematikId is empty');
  if (command.codeDigest === '') invalid('codeDigest is empty');
  if (!isInstant(command.expiresAt) || !isBefore(command.now, command.expiresAt)) {
    invalid('expiresAt must be an instant after now');
  }
  if (
    status === 'pending' &&
    ctx.codeDigest === command.codeDigest &&
    ctx.codeExpiresAt === command.expiresAt &&
    ctx.telematikId === command.telematikId
  ) {
    return [];
  }
  return [
    accountEvent('registrationCodeIssued', {
      accountId: command.accountId,
      telematikId: command.telematikId,
      codeDigest: command.codeDigest,
      expiresAt: command.expiresAt,
      at: command.now,
    }),
  ];
}

function register(command: Register, state: AccountState): AccountEvent[] {
  const status = accountStatus(state);
  rejectFinished(status);
  if (status !== 'none' && status !== 'pending')
    throw new DomainError('ACCOUNT_EXISTS', 'account is registered');
  const ctx = state.machine.context;
  let telematikId: string | null;
  if (status === 'pending') {
    if (command.accountId !== ctx.accountId) invalid('accountId does not match the stream');
    if (command.codeDigest === undefined || command.codeDigest !== ctx.codeDigest) {
      throw new DomainError('REGISTRATION_CODE_INVALID', 'registration code does not match');
    }
    if (ctx.codeExpiresAt === undefined || toMillis(command.now) > toMillis(ctx.codeExpiresAt)) {
      throw new DomainError('REGISTRATION_CODE_EXPIRED', 'registration code has expired');
    }
    telematikId = ctx.telematikId;
  } else {
    // Operator provisioning. A code presented for an account that never had one cannot be valid.
    if (command.codeDigest !== undefined) {
      throw new DomainError('REGISTRATION_CODE_INVALID', 'no registration code was issued');
    }
    if (command.telematikId === '') invalid('telematikId is empty');
    telematikId = command.telematikId ?? null;
  }
  if (command.accountId === '') invalid('accountId is empty');
  if (!/^[^@\s]+@[^@\s]+$/.test(command.address)) invalid('address is not a mail address');
  if (command.passwordHash === '') invalid('passwordHash is empty');
  validateKimVersion(command.kimVersion);
  validateDataTimeToLive(command.dataTimeToLive);
  return [
    accountEvent('registered', {
      accountId: command.accountId,
      address: command.address,
      telematikId,
      passwordHash: command.passwordHash,
      kimVersion: command.kimVersion,
      dataTimeToLive: command.dataTimeToLive,
      at: command.now,
    }),
  ];
}

function changeBaseData(command: ChangeBaseData, state: AccountState): AccountEvent[] {
  const ctx = requireRegistered(state);
  const changes: {
    -readonly [K in keyof AccountEventData['baseDataChanged']]?: AccountEventData['baseDataChanged'][K];
  } = {};
  if (command.kimVersion !== undefined) {
    validateKimVersion(command.kimVersion);
    if (command.kimVersion !== ctx.kimVersion) changes.kimVersion = command.kimVersion;
  }
  if (command.dataTimeToLive !== undefined) {
    validateDataTimeToLive(command.dataTimeToLive);
    if (command.dataTimeToLive !== ctx.dataTimeToLive) changes.dataTimeToLive = command.dataTimeToLive;
  }
  if (command.displayName !== undefined) {
    if (command.displayName.length > DISPLAY_NAME_MAX_CHARS) {
      throw new DomainError('INVALID_BASE_DATA', `displayName exceeds ${DISPLAY_NAME_MAX_CHARS} characters`);
    }
    if (command.displayName !== ctx.displayName) changes.displayName = command.displayName;
  }
  if (Object.keys(changes).length === 0) return [];
  return [accountEvent('baseDataChanged', { ...changes, at: command.now })];
}

function setAbsence(command: SetAbsence, state: AccountState): AccountEvent[] {
  const ctx = requireRegistered(state);
  const { text, from, until, now } = command;
  if (text.length > ABSENCE_TEXT_MAX_CHARS) {
    throw new DomainError('INVALID_ABSENCE', `text exceeds ${ABSENCE_TEXT_MAX_CHARS} characters`);
  }
  if (!isInstant(from) || !isInstant(until))
    throw new DomainError('INVALID_ABSENCE', 'from/until are not instants');
  if (!isBefore(from, until)) throw new DomainError('INVALID_ABSENCE', 'from must be before until');
  if (!isBefore(now, until)) throw new DomainError('INVALID_ABSENCE', 'the absence has already ended');
  const current = ctx.absence;
  if (current !== undefined && current.text === text && current.from === from && current.until === until)
    return [];
  return [accountEvent('absent', { text, from, until, at: now })];
}

/** Registered (active or locked); otherwise the error that fits the lifecycle state. */
function requireRegistered(state: AccountState): AccountState['machine']['context'] {
  const status = accountStatus(state);
  if (status === 'none') throw new DomainError('ACCOUNT_NOT_FOUND', 'account does not exist');
  if (status === 'pending')
    throw new DomainError('ACCOUNT_NOT_REGISTERED', 'account registration is pending');
  rejectFinished(status);
  return state.machine.context;
}

/** Deregistered; returns graceUntil. */
function requireDeregistered(state: AccountState): Instant {
  const status = accountStatus(state);
  if (status === 'none') throw new DomainError('ACCOUNT_NOT_FOUND', 'account does not exist');
  if (status === 'purged') throw new DomainError('ACCOUNT_PURGED', 'account has been purged');
  const graceUntil = state.machine.context.graceUntil;
  if (status !== 'deregistered' || graceUntil === undefined) {
    throw new DomainError('NOT_DEREGISTERED', 'account is not deregistered');
  }
  return graceUntil;
}

function rejectFinished(status: ReturnType<typeof accountStatus>): void {
  if (status === 'deregistered') throw new DomainError('ACCOUNT_DEREGISTERED', 'account is deregistered');
  if (status === 'purged') throw new DomainError('ACCOUNT_PURGED', 'account has been purged');
}

function validateKimVersion(value: string): void {
  if (!(kimVersions as readonly string[]).includes(value)) {
    throw new DomainError('INVALID_BASE_DATA', `unknown KIM version '${value}'`);
  }
}

function validateDataTimeToLive(days: number): void {
  if (!Number.isInteger(days) || days < DATA_TIME_TO_LIVE_MIN_DAYS || days > DATA_TIME_TO_LIVE_MAX_DAYS) {
    throw new DomainError(
      'INVALID_BASE_DATA',
      `dataTimeToLive must be ${DATA_TIME_TO_LIVE_MIN_DAYS}..${DATA_TIME_TO_LIVE_MAX_DAYS} days`,
    );
  }
}

function invalid(message: string): never {
  throw new DomainError('INVALID_COMMAND', message);
}
