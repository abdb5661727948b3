import type { DomainEvent, Instant } from '../shared/event.js';

export const deleteReasons = ['pop3', 'expired', 'purge', 'operator'] as const;
export type DeleteReason = (typeof deleteReasons)[number];

/** Data of every mailbox event type, schemaVersion 1 (current). */
export interface MailboxEventData {
  opened: { readonly mailboxId: string; readonly accountId: string; readonly at: Instant };
  received: {
    /** Assigned by decide: the next uid, starting at 1, never reused. */
    readonly uid: number;
    /** Dedupe key (e.g. the submission id): a key is received at most once, ever. */
    readonly messageKey: string;
    /** Content address of the stored body. */
    readonly blobRef: string;
    readonly blobSize: number;
    /** `Return-Path:`/`Received:` lines prepended at delivery (may be ''). */
    readonly traceHeader: string;
    /** Octets served: utf8ByteLength(traceHeader) + blobSize. */
    readonly size: number;
    /** SHA-256 hex of the body blob. */
    readonly digest: string;
    readonly arrivedAt: Instant;
  };
  fetched: { readonly uid: number; readonly sessionId: string; readonly at: Instant };
  deleted: {
    readonly uid: number;
    readonly reason: DeleteReason;
    readonly sessionId?: string;
    readonly at: Instant;
  };
  locked: { readonly reason: string; readonly at: Instant };
  unlocked: { readonly at: Instant };
  closed: { readonly reason: string; readonly at: Instant };
}

export type MailboxEventType = keyof MailboxEventData;

export type MailboxEventOf<T extends MailboxEventType> = DomainEvent<T, MailboxEventData[T]>;

export type MailboxEvent = { [T in MailboxEventType]: MailboxEventOf<T> }[MailboxEventType];

export const MAILBOX_EVENT_SCHEMA_VERSION = 1;

/** Construct an event of the current schema version. */
export function mailboxEvent<T extends MailboxEventType>(
  type: T,
  data: MailboxEventData[T],
): MailboxEventOf<T> {
  return { type, schemaVersion: MAILBOX_EVENT_SCHEMA_VERSION, data };
}
