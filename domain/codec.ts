import { decodeAccountEvent } from './account/codec.js';
import type { AccountEvent } from './account/events.js';
import { decodeMailboxEvent } from './mailbox/codec.js';
import type { MailboxEvent } from './mailbox/events.js';
import { decodeSubmissionEvent } from './submission/codec.js';
import type { SubmissionEvent } from './submission/events.js';

export const aggregateNames = ['account', 'mailbox', 'submission'] as const;
export type AggregateName = (typeof aggregateNames)[number];

export interface AggregateEvents {
  account: AccountEvent;
  mailbox: MailboxEvent;
  submission: SubmissionEvent;
}

export type AnyDomainEvent = AggregateEvents[AggregateName];

const decoders: {
  readonly [A in AggregateName]: (type: string, schemaVersion: number, data: unknown) => AggregateEvents[A];
} = {
  account: decodeAccountEvent,
  mailbox: decodeMailboxEvent,
  submission: decodeSubmissionEvent,
};

/** Decode a stored event of `aggregate`: validate, upcast, or throw EventDecodeError. */
export function decodeDomainEvent<A extends AggregateName>(
  aggregate: A,
  type: string,
  schemaVersion: number,
  data: unknown,
): AggregateEvents[A] {
  return decoders[aggregate](type, schemaVersion, data);
}

/** Stream ids are `<aggregate>-<id>` with a non-empty id. */
export function streamIdFor(aggregate: AggregateName, id: string): string {
  if (id === '') throw new RangeError('stream id needs a non-empty aggregate id');
  return `${aggregate}-${id}`;
}

/** The aggregate and id of a stream, or null for a stream that is not one of ours. */
export function parseStreamId(
  streamId: string,
): { readonly aggregate: AggregateName; readonly id: string } | null {
  for (const aggregate of aggregateNames) {
    const prefix = `${aggregate}-`;
    if (streamId.startsWith(prefix) && streamId.length > prefix.length) {
      return { aggregate, id: streamId.slice(prefix.length) };
    }
  }
  return null;
}

export function aggregateOfStream(streamId: string): AggregateName | null {
  return parseStreamId(streamId)?.aggregate ?? null;
}
