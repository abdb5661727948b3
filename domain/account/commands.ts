import type { CommandMeta, Instant } from '../shared/event.js';
import type { KimVersion, LockReason } from './events.js';

export interface IssueRegistrationCode extends CommandMeta {
  readonly type: 'IssueRegistrationCode';
  readonly accountId: string;
  readonly telematikId: string;
  readonly codeDigest: string;
  readonly expiresAt: Instant;
}

/**
 * From `pending`: the user redeems the issued code (codeDigest required).
 * From `none`: operator provisioning without a code (codeDigest must be absent).
 */
export interface Register extends CommandMeta {
  readonly type: 'Register';
  readonly accountId: string;
  readonly address: string;
  readonly passwordHash: string;
  readonly kimVersion: KimVersion;
  readonly dataTimeToLive: number;
  readonly codeDigest?: string;
  /** Operator provisioning only; a code registration takes the TI-ID the code was issued for. */
  readonly telematikId?: string;
}

export interface ChangePassword extends CommandMeta {
  readonly type: 'ChangePassword';
  readonly passwordHash: string;
}

export interface ChangeBaseData extends CommandMeta {
  readonly type: 'ChangeBaseData';
  readonly kimVersion?: KimVersion;
  readonly dataTimeToLive?: number;
  readonly displayName?: string;
}

export interface Lock extends CommandMeta {
  readonly type: 'Lock';
  readonly reason: LockReason;
  readonly by?: string;
}

export interface Unlock extends CommandMeta {
  readonly type: 'Unlock';
  readonly by?: string;
}

export interface SetAbsence extends CommandMeta {
  readonly type: 'SetAbsence';
  readonly text: string;
  readonly from: Instant;
  readonly until: Instant;
}

export interface ClearAbsence extends CommandMeta {
  readonly type: 'ClearAbsence';
}

export interface Deregister extends CommandMeta {
  readonly type: 'Deregister';
  readonly graceDays: number;
}

export interface RevokeDeregistration extends CommandMeta {
  readonly type: 'RevokeDeregistration';
}

export interface Purge extends CommandMeta {
  readonly type: 'Purge';
  readonly force?: boolean;
}

export type AccountCommand =
  | IssueRegistrationCode
  | Register
  | ChangePassword
  | ChangeBaseData
  | Lock
  | Unlock
  | SetAbsence
  | ClearAbsence
  | Deregister
  | RevokeDeregistration
  | Purge;
