import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import {
  InvalidAppendError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  WrongExpectedVersionError,
} from '../errors.js';
import type { AppendResult, ExpectedRevision, NewEvent, Revision } from '../port.js';
import { STREAM_STATE } from './schema.js';

/** Open the log file with the pragmas every connection to it must use. */
export function openLogDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: the WAL is fsync'd at every commit, so an acknowledged append survives power loss.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('secure_delete = ON');
  db.defaultSafeIntegers(true);
  return db;
}

/** An event as it is stored: data and metadata already JSON text. */
export interface EncodedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string | null;
}

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly EncodedEvent[];
  readonly expected: ExpectedRevision;
}

/**
 * Encoded on the appending side: the JSON text is what gets stored, and the same text lets the
 * store hand the committed events to its live subscriptions without reading them back.
 */
export function encodeEvents(events: readonly NewEvent[]): EncodedEvent[] {
  return events.map((event) => ({
    id: event.id,
    type: event.type,
    data: JSON.stringify(event.data),
    metadata: event.metadata === undefined ? null : JSON.stringify(event.metadata),
  }));
}

/** `createdMs` is null when nothing new was written (an idempotent repeat, or no events). */
export type AppendOutcome =
  | { readonly ok: true; readonly result: AppendResult; readonly createdMs: number | null }
  | { readonly ok: false; readonly error: unknown };

interface StreamRow {
  stream_id: string;
  revision: bigint;
  truncate_before: bigint;
  state: bigint;
}

interface EventRow {
  position: bigint;
  stream_id: string;
  revision: bigint;
  event_id: string;
}

/**
 * The write side of the SQLite log. A batch of appends commits in one transaction (group
 * commit): each append runs in its own savepoint, so one failing append does not affect the
 * others, and all of them cost a single fsync. The caller decides where this runs — inline, or
 * on the writer thread so the fsync never blocks the event loop.
 */
export class SqliteAppender {
  private readonly stmt: {
    getStream: Statement<[string], StreamRow>;
    insertStream: Statement<[string]>;
    updateStreamRevision: Statement<[bigint, string]>;
    insertEvent: Statement<[string, bigint, string, string, string, string | null, number]>;
    eventById: Statement<[string], EventRow>;
    eventAt: Statement<[string, bigint], EventRow>;
    head: Statement<[], { position: bigint | null }>;
  };

  constructor(
    private readonly db: Db,
    private readonly maxAppendSize: number,
    private readonly now: () => number,
  ) {
    this.stmt = {
      getStream: db.prepare(
        `SELECT stream_id, revision, truncate_before, state FROM streams WHERE stream_id = ?`,
      ),
      insertStream: db.prepare(`INSERT INTO streams (stream_id, revision) VALUES (?, -1)`),
      updateStreamRevision: db.prepare(`UPDATE streams SET revision = ? WHERE stream_id = ?`),
      insertEvent: db.prepare(
        `INSERT INTO events (stream_id, revision, event_id, type, data, metadata, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      eventById: db.prepare(`SELECT position, stream_id, revision, event_id FROM events WHERE event_id = ?`),
      eventAt: db.prepare(
        `SELECT position, stream_id, revision, event_id FROM events WHERE stream_id = ? AND revision = ?`,
      ),
      head: db.prepare(`SELECT max(position) AS position FROM events`),
    };
  }

  /** Commit a batch; the outcome of each append, in order. Throws only if the commit itself fails. */
  appendBatch(batch: readonly AppendRequest[]): AppendOutcome[] {
    const outcomes: AppendOutcome[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const request of batch) {
        this.db.exec('SAVEPOINT append');
        try {
          const outcome = this.appendOne(request.streamId, request.events, request.expected);
          this.db.exec('RELEASE append');
          outcomes.push({ ok: true, ...outcome });
        } catch (error) {
          this.db.exec('ROLLBACK TO append');
          this.db.exec('RELEASE append');
          outcomes.push({ ok: false, error });
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in this batch is durable.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
    return outcomes;
  }

  private appendOne(
    streamId: string,
    events: readonly EncodedEvent[],
    expected: ExpectedRevision,
  ): { result: AppendResult; createdMs: number | null } {
    if (streamId.length === 0 || streamId.startsWith('$')) {
      throw new InvalidAppendError(`invalid stream id '${streamId}'`);
    }
    const stream = this.stmt.getStream.get(streamId);
    if (stream !== undefined && stream.state === BigInt(STREAM_STATE.tombstoned)) {
      throw new StreamDeletedError(streamId);
    }

    const first = events[0];
    if (first !== undefined) {
      const duplicate = this.idempotentResult(streamId, events, expected);
      if (duplicate !== null) return { result: duplicate, createdMs: null };
    }

    const live = stream !== undefined && stream.state === BigInt(STREAM_STATE.live) && stream.revision >= 0n;
    const current: Revision | 'no_stream' = live ? stream.revision : 'no_stream';
    checkExpected(streamId, expected, current);

    let size = 0;
    for (const event of events) {
      if (event.id.length === 0 || event.type.length === 0 || event.type.startsWith('$')) {
        throw new InvalidAppendError(`event needs an id and a non-system type (got '${event.type}')`);
      }
      size +=
        Buffer.byteLength(event.data) + (event.metadata === null ? 0 : Buffer.byteLength(event.metadata));
    }
    if (size > this.maxAppendSize) throw new MaxAppendSizeExceededError(streamId, this.maxAppendSize);

    if (stream === undefined) this.stmt.insertStream.run(streamId);
    else if (stream.state === BigInt(STREAM_STATE.softDeleted) && events.length > 0) {
      // Recreating a soft-deleted stream: revisions continue, the old events stay hidden.
      this.db
        .prepare(`UPDATE streams SET state = 0, truncate_before = ? WHERE stream_id = ?`)
        .run(stream.revision + 1n, streamId);
    }
    let revision = stream?.revision ?? -1n;
    let position: bigint | null = null;
    const createdMs = this.now();
    for (const event of events) {
      revision += 1n;
      const info = this.stmt.insertEvent.run(
        streamId,
        revision,
        event.id,
        event.type,
        event.data,
        event.metadata,
        createdMs,
      );
      position = BigInt(info.lastInsertRowid);
    }
    if (events.length > 0) this.stmt.updateStreamRevision.run(revision, streamId);
    return {
      result: { nextExpectedRevision: revision, position: position ?? this.stmt.head.get()?.position ?? 0n },
      createdMs: events.length > 0 ? createdMs : null,
    };
  }

  /**
   * EventStoreDB treats a repeated append of the same event ids as a no-op that returns the
   * first result; that is what makes retries after a lost acknowledgement safe.
   */
  private idempotentResult(
    streamId: string,
    events: readonly EncodedEvent[],
    expected: ExpectedRevision,
  ): AppendResult | null {
    const first = events[0];
    if (first === undefined) return null;
    const existing = this.stmt.eventById.get(first.id);
    if (existing === undefined) return null;
    if (existing.stream_id !== streamId) {
      throw new InvalidAppendError(`event id ${first.id} is already used in another stream`);
    }
    let last = existing;
    for (let i = 1; i < events.length; i++) {
      const next = this.stmt.eventAt.get(streamId, existing.revision + BigInt(i));
      if (next === undefined || next.event_id !== events[i]?.id) {
        throw new WrongExpectedVersionError(
          streamId,
          expected,
          this.stmt.getStream.get(streamId)?.revision ?? -1n,
        );
      }
      last = next;
    }
    const matchesExpectation =
      expected === 'any' ||
      expected === 'stream_exists' ||
      (expected === 'no_stream' && existing.revision === 0n) ||
      (typeof expected === 'bigint' && expected === existing.revision - 1n);
    if (!matchesExpectation) {
      throw new WrongExpectedVersionError(
        streamId,
        expected,
        this.stmt.getStream.get(streamId)?.revision ?? -1n,
      );
    }
    return { nextExpectedRevision: last.revision, position: last.position };
  }
}

export function checkExpected(
  streamId: string,
  expected: ExpectedRevision,
  current: Revision | 'no_stream',
): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 'no_stream') ||
    (expected === 'stream_exists' && current !== 'no_stream') ||
    (typeof expected === 'bigint' && current !== 'no_stream' && expected === current);
  if (!ok) throw new WrongExpectedVersionError(streamId, expected, current);
}
