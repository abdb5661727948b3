import type { DomainEvent, Instant } from '../shared/event.js';

export const kimVersions = ['1.0', '1.5', '1.5+'] as const;
export type KimVersion = (typeof kimVersions)[number];

export const lockReasons = ['operator', 'auth-failures', 'directory-inactive'] as const;
export type LockReason = (typeof lockReasons)[number];

/** Limits shared by decide (command validation) and the codec. */
export const DATA_TIME_TO_LIVE_MIN_DAYS = 10;
export const DATA_TIME_TO_LIVE_MAX_DAYS = 365;
export const ABSENCE_TEXT_MAX_CHARS = 2048;
export const DISPLAY_NAME_MAX_CHARS = 256;

/** Data of every account event type, schemaVersion 1 (current). */
export interface AccountEventData {
  registrationCodeIssued: {
    readonly accountId: string;
    readonly telematikId: string;
    /** Hex digest of the code, computed outside the domain; never the code itself. */
    readonly codeDigest: string;
    readonly expiresAt: Instant;
    readonly at: Instant;
  };
  registered: {
    readonly accountId: string;
    readonly address: string;
    readonly telematikId: string | null;
    readonly passwordHash: string;
    readonly kimVersion: KimVersion;
    /** Days, DATA_TIME_TO_LIVE_MIN_DAYS..DATA_TIME_TO_LIVE_MAX_DAYS. */
    readonly dataTimeToLive: number;
    readonly at: Instant;
  };
  passwordChanged: { readonly passwordHash: string; readonly at: Instant };
  baseDataChanged: {
    readonly kimVersion?: KimVersion;
    readonly dataTimeToLive?: number;
    readonly displayName?: string;
    readonly at: Instant;
  };
  locked: { readonly reason: LockReason; readonly by?: string; readonly at: Instant };
  unlocked: { readonly by?: string; readonly at: Instant };
  absent: { readonly text: string; readonly from: Instant; readonly until: Instant; readonly at: Instant };
  present: { readonly at: Instant };
  deregistered: { readonly at: Instant; readonly graceUntil: Instant };
  deregistrationRevoked: { readonly at: Instant };
  purged: { readonly at: Instant };
}

export type AccountEventType = keyof AccountEventData;

export type AccountEventOf<T extends AccountEventType> = DomainEvent<T, AccountEventData[T]>;

export type AccountEvent = { [T in AccountEventType]: AccountEventOf<T> }[AccountEventType];

export const ACCOUNT_EVENT_SCHEMA_VERSION = 1;

/** Construct an event of the current schema version. */
export function accountEvent<T extends AccountEventType>(
  type: T,
  data: AccountEventData[T],
): AccountEventOf<T> {
  return { type, schemaVersion: ACCOUNT_EVENT_SCHEMA_VERSION, data };
}
