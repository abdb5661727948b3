/**
 * Typed domain errors. Every rejection carries a stable code; protocol adapters map codes to
 * SMTP/POP3/HTTP/CLI replies in one place each.
 */
export type DomainErrorCode =
  // account
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_EXISTS'
  | 'REGISTRATION_CODE_INVALID'
  | 'REGISTRATION_CODE_EXPIRED'
  | 'ACCOUNT_NOT_REGISTERED'
  | 'ACCOUNT_LOCKED'
  | 'ACCOUNT_DEREGISTERED'
  | 'ACCOUNT_PURGED'
  | 'NOT_DEREGISTERED'
  | 'GRACE_PERIOD_RUNNING'
  | 'INVALID_ABSENCE'
  | 'INVALID_BASE_DATA'
  // mailbox
  | 'MAILBOX_NOT_FOUND'
  | 'MAILBOX_EXISTS'
  | 'MAILBOX_CLOSED'
  // submission
  | 'SUBMISSION_NOT_FOUND'
  | 'SUBMISSION_EXISTS'
  | 'SUBMISSION_COMPLETED'
  | 'UNKNOWN_RECIPIENT'
  | 'NO_RECIPIENTS'
  | 'INVALID_COMMAND';

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An event the aggregate does not accept in its current state: the history is corrupt. */
export class CorruptHistoryError extends Error {
  override readonly name = 'CorruptHistoryError';
  readonly code = 'CORRUPT_HISTORY';
  constructor(
    readonly aggregate: string,
    readonly eventType: string,
    readonly stateDescription: string,
  ) {
    super(`${aggregate}: event '${eventType}' is not accepted in state ${stateDescription}`);
  }
}

/** A stored event whose type or schema version this build cannot decode. */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  readonly code = 'EVENT_DECODE';
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    readonly reason: string,
  ) {
    super(`cannot decode event '${eventType}' v${schemaVersion}: ${reason}`);
  }
}
