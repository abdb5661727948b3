import type { CommandMeta, Instant } from '../shared/event.js';
import type { SubmissionEventData } from './events.js';

export interface AcceptSubmission extends CommandMeta, Omit<SubmissionEventData['accepted'], 'acceptedAt'> {
  readonly type: 'AcceptSubmission';
}

export interface RecordDelivery extends CommandMeta {
  readonly type: 'RecordDelivery';
  readonly recipient: string;
  readonly mailboxId: string;
  readonly uid: number;
}

export interface RecordRelay extends CommandMeta {
  readonly type: 'RecordRelay';
  readonly recipient: string;
  readonly remoteHost: string;
  readonly response: string;
}

export interface DeferRecipient extends CommandMeta {
  readonly type: 'DeferRecipient';
  readonly recipient: string;
  readonly reason: string;
  readonly nextAttemptAt: Instant;
}

export interface BounceRecipient extends CommandMeta {
  readonly type: 'BounceRecipient';
  readonly recipient: string;
  /** Enhanced status code, e.g. '5.1.1'. */
  readonly status: string;
  readonly diagnostic: string;
}

export type OutcomeCommand = RecordDelivery | RecordRelay | DeferRecipient | BounceRecipient;

export type SubmissionCommand = AcceptSubmission | OutcomeCommand;
