import type { AccountCommand, AccountEvent, AccountState } from '../../domain/account/index.js';
import { accountDecider, decodeAccountEvent } from '../../domain/account/index.js';
import type { AggregateName } from '../../domain/codec.js';
import { parseStreamId, streamIdFor } from '../../domain/codec.js';
import type { MailboxCommand, MailboxEvent, MailboxState } from '../../domain/mailbox/index.js';
import { decodeMailboxEvent, mailboxDecider } from '../../domain/mailbox/index.js';
import type { DomainEvent } from '../../domain/shared/event.js';
import type { SubmissionCommand, SubmissionEvent, SubmissionState } from '../../domain/submission/index.js';
import { decodeSubmissionEvent, submissionDecider } from '../../domain/submission/index.js';
import type { AggregateType } from './aggregate.js';

export const Account: AggregateType<AccountState, AccountCommand, AccountEvent> = {
  decider: accountDecider,
  streamId: (id) => streamIdFor('account', id),
  decode: decodeAccountEvent,
};

export const Mailbox: AggregateType<MailboxState, MailboxCommand, MailboxEvent> = {
  decider: mailboxDecider,
  streamId: (id) => streamIdFor('mailbox', id),
  decode: decodeMailboxEvent,
};

export const Submission: AggregateType<SubmissionState, SubmissionCommand, SubmissionEvent> = {
  decider: submissionDecider,
  streamId: (id) => streamIdFor('submission', id),
  decode: decodeSubmissionEvent,
};

/** The aggregate types by name, typed loosely for tools that handle every stream alike. */
export const aggregateTypes: Readonly<Record<AggregateName, AggregateType<unknown, unknown, DomainEvent>>> = {
  account: Account,
  mailbox: Mailbox,
  submission: Submission,
};

export function aggregateTypeOfStream(streamId: string): AggregateType<unknown, unknown, DomainEvent> | null {
  const parsed = parseStreamId(streamId);
  return parsed === null ? null : aggregateTypes[parsed.aggregate];
}
