/**
 * The event store port. It mirrors EventStoreDB's semantics so that the ESDB adapter is a thin
 * mapping (architecture §3): 0-based stream revisions, a global commit position, expected
 * revisions `no_stream | stream_exists | any | n`, idempotent appends keyed by event id,
 * catch-up subscriptions that start *after* a checkpoint, stream metadata, soft delete and
 * tombstone.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** 0-based revision of an event within its stream. */
export type Revision = bigint;
/** Global commit position: strictly increasing, gaps allowed; compare, never do arithmetic. */
export type Position = bigint;

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | Revision;

export interface NewEvent {
  /** Idempotency key: appending the same ids again is a no-op that returns the first result. */
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata?: JsonObject;
}

export interface RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  readonly revision: Revision;
  readonly position: Position;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
  readonly created: Date;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as expectedRevision next time. */
  readonly nextExpectedRevision: Revision;
  readonly position: Position;
}

export interface StreamMetadata {
  /** Events older than this many seconds are hidden from stream reads ($maxAge). */
  readonly maxAge?: number;
  /** Only the newest n events are visible in stream reads ($maxCount). */
  readonly maxCount?: number;
  /** Events with a lower revision are hidden from stream reads ($tb). */
  readonly truncateBefore?: Revision;
  /** Anything else the application wants to keep with the stream. */
  readonly custom?: JsonObject;
}

export interface EventFilter {
  readonly streamPrefixes?: readonly string[];
  readonly eventTypes?: readonly string[];
}

export type ReadDirection = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  readonly fromRevision?: Revision | 'start' | 'end';
  readonly direction?: ReadDirection;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  readonly fromPosition?: Position | 'start' | 'end';
  readonly direction?: ReadDirection;
  readonly maxCount?: number;
  readonly filter?: EventFilter;
}

export type SubscriptionItem =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  /**
   * Emitted when the subscription has delivered everything committed so far: once after the
   * history, then again after each batch of live events (consumers flush buffered work on it).
   */
  | { readonly kind: 'caughtUp'; readonly position: Position | null }
  /** Emitted when a filter skipped events, so a consumer can checkpoint quiet stretches. */
  | { readonly kind: 'checkpoint'; readonly position: Position };

export interface SubscribeToAllOptions {
  /** Delivery starts strictly after this position ('start' = from the beginning). */
  readonly fromPosition: Position | 'start' | 'end';
  readonly filter?: EventFilter;
  readonly signal: AbortSignal;
}

export interface EventStore {
  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options?: { readonly expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;

  /** Throws StreamNotFoundError for a missing or soft-deleted stream, StreamDeletedError after a tombstone. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** Current last revision of a stream, or null if it has no visible events. */
  streamRevision(streamId: string): Promise<Revision | null>;

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  /** Catch-up subscription: history after fromPosition, then live events, until the signal aborts. */
  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<SubscriptionItem>;

  getStreamMetadata(
    streamId: string,
  ): Promise<{ metadata: StreamMetadata; metastreamRevision: Revision | null }>;
  setStreamMetadata(
    streamId: string,
    metadata: StreamMetadata,
    options?: { readonly expectedRevision?: 'any' | 'no_stream' | Revision },
  ): Promise<{ metastreamRevision: Revision }>;

  /** Soft delete: reads report not found; a later append continues at last revision + 1. */
  deleteStream(streamId: string, options?: { readonly expectedRevision?: ExpectedRevision }): Promise<void>;
  /** Hard delete: the stream can never be read or written again. */
  tombstoneStream(
    streamId: string,
    options?: { readonly expectedRevision?: ExpectedRevision },
  ): Promise<void>;

  /** Position of the newest event in the log, or null when empty. */
  headPosition(): Promise<Position | null>;

  close(): Promise<void>;
}
