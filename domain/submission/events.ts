import type { DomainEvent, Instant } from '../shared/event.js';

export const notifyValues = ['SUCCESS', 'FAILURE', 'DELAY', 'NEVER'] as const;
export type Notify = (typeof notifyValues)[number];

export const returnValues = ['FULL', 'HDRS'] as const;
export type Ret = (typeof returnValues)[number];

/** One RCPT TO with its DSN parameters (RFC 3461). */
export interface Recipient {
  readonly address: string;
  readonly notify?: readonly Notify[];
  readonly orcpt?: string;
}

/** Data of every submission event type, schemaVersion 1 (current). */
export interface SubmissionEventData {
  accepted: {
    readonly submissionId: string;
    /** MAIL FROM; '' for the null sender. */
    readonly sender: string;
    readonly authUser: string | null;
    readonly recipients: readonly Recipient[];
    /** DSN ENVID. */
    readonly envelopeId?: string;
    /** DSN RET. */
    readonly ret?: Ret;
    readonly blobRef: string;
    readonly size: number;
    readonly digest: string;
    readonly messageId?: string;
    /**
     * The `Received:` trace field written when the message was accepted (client, protocol, id,
     * date), ending in CRLF; delivery prepends it together with `Return-Path:`.
     */
    readonly receivedHeader?: string;
    readonly acceptedAt: Instant;
  };
  deliveredLocally: {
    readonly recipient: string;
    readonly mailboxId: string;
    readonly uid: number;
    readonly at: Instant;
  };
  relayed: {
    readonly recipient: string;
    readonly remoteHost: string;
    readonly response: string;
    readonly at: Instant;
  };
  deferred: {
    readonly recipient: string;
    readonly attempt: number;
    readonly nextAttemptAt: Instant;
    readonly reason: string;
    readonly at: Instant;
  };
  bounced: {
    readonly recipient: string;
    readonly status: string;
    readonly diagnostic: string;
    readonly at: Instant;
  };
  completed: { readonly at: Instant };
}

export type SubmissionEventType = keyof SubmissionEventData;

export type SubmissionEventOf<T extends SubmissionEventType> = DomainEvent<T, SubmissionEventData[T]>;

export type SubmissionEvent = { [T in SubmissionEventType]: SubmissionEventOf<T> }[SubmissionEventType];

/** The per-recipient outcome events. */
export type OutcomeEvent = Extract<
  SubmissionEvent,
  { type: 'deliveredLocally' | 'relayed' | 'deferred' | 'bounced' }
>;

export const SUBMISSION_EVENT_SCHEMA_VERSION = 1;

/** Enhanced status code class.subject.detail (RFC 3463); 4.x.x is allowed for an expired deferral. */
export const ENHANCED_STATUS = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** Construct an event of the current schema version. */
export function submissionEvent<T extends SubmissionEventType>(
  type: T,
  data: SubmissionEventData[T],
): SubmissionEventOf<T> {
  return { type, schemaVersion: SUBMISSION_EVENT_SCHEMA_VERSION, data };
}

/** Recipients are compared case-insensitively (the whole address, as a queue key). */
export function recipientKey(address: string): string {
  return address.toLowerCase();
}
