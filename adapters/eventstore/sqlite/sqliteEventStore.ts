import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import {
  InvalidAppendError,
  MaxAppendSizeExceededError,
  StoreClosedError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors.js';
import type {
  AppendResult,
  EventFilter,
  EventStore,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Revision,
  StreamMetadata,
  SubscribeToAllOptions,
  SubscriptionItem,
} from '../port.js';
import { migrate, STREAM_STATE } from './schema.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file; ':memory:' for tests that need no durability. */
  readonly path: string;
  /** EventStoreDB's default MaxAppendSize is 1 MiB; we keep the same limit so both behave alike. */
  readonly maxAppendSize?: number;
  /** How often a live subscription looks for commits made by other processes. */
  readonly pollIntervalMs?: number;
  /** Rows read per query by readAll and subscriptions. */
  readonly pageSize?: number;
  /** Clock for `created`, injectable for tests of $maxAge. */
  readonly now?: () => number;
}

interface StreamRow {
  stream_id: string;
  revision: bigint;
  truncate_before: bigint;
  max_age_s: bigint | null;
  max_count: bigint | null;
  meta_custom: string | null;
  meta_revision: bigint | null;
  state: bigint;
}

interface EventRow {
  position: bigint;
  stream_id: string;
  revision: bigint;
  event_id: string;
  type: string;
  data: string;
  metadata: string | null;
  created_ms: bigint;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The embedded event store: better-sqlite3 in WAL mode with synchronous=FULL, so a resolved
 * append has been fsync'd. Concurrent appends that arrive in the same turn of the event loop
 * share one transaction (group commit): each runs in its own savepoint, so one failing append
 * does not affect the others, and all of them cost a single fsync.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Db;
  private readonly maxAppendSize: number;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly commits = new EventEmitter();
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly stmt: {
    getStream: Statement<[string], StreamRow>;
    insertStream: Statement<[string]>;
    updateStreamRevision: Statement<[bigint, string]>;
    insertEvent: Statement<[string, bigint, string, string, string, string | null, number]>;
    eventById: Statement<[string], EventRow>;
    eventAt: Statement<[string, bigint], EventRow>;
    head: Statement<[], { position: bigint | null }>;
  };

  constructor(options: SqliteEventStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsync'd at every commit, so an acknowledged append survives power loss.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('secure_delete = ON');
    this.db.defaultSafeIntegers(true);
    migrate(this.db);
    this.maxAppendSize = options.maxAppendSize ?? 1024 * 1024;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.pageSize = options.pageSize ?? 1000;
    this.now = options.now ?? Date.now;
    this.commits.setMaxListeners(0);
    this.stmt = {
      getStream: this.db.prepare(`SELECT * FROM streams WHERE stream_id = ?`),
      insertStream: this.db.prepare(`INSERT INTO streams (stream_id, revision) VALUES (?, -1)`),
      updateStreamRevision: this.db.prepare(`UPDATE streams SET revision = ? WHERE stream_id = ?`),
      insertEvent: this.db.prepare(
        `INSERT INTO events (stream_id, revision, event_id, type, data, metadata, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      eventById: this.db.prepare(`SELECT * FROM events WHERE event_id = ?`),
      eventAt: this.db.prepare(`SELECT * FROM events WHERE stream_id = ? AND revision = ?`),
      head: this.db.prepare(`SELECT max(position) AS position FROM events`),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Appending

  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ streamId, events, expected: options.expectedRevision ?? 'any', resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const request of batch) {
        this.db.exec('SAVEPOINT append');
        try {
          const result = this.appendOne(request.streamId, request.events, request.expected);
          this.db.exec('RELEASE append');
          outcomes.push({ ok: true, result });
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
      for (const request of batch) request.reject(error);
      return;
    }
    batch.forEach((request, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) request.reject(new Error('internal: missing append outcome'));
      else if (outcome.ok) request.resolve(outcome.result);
      else request.reject(outcome.error);
    });
    this.commits.emit('commit');
  }

  private appendOne(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): AppendResult {
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
      if (duplicate !== null) return duplicate;
    }

    const live = stream !== undefined && stream.state === BigInt(STREAM_STATE.live) && stream.revision >= 0n;
    const current: Revision | 'no_stream' = live ? stream.revision : 'no_stream';
    checkExpected(streamId, expected, current);

    let size = 0;
    const encoded = events.map((event) => {
      if (event.id.length === 0 || event.type.length === 0 || event.type.startsWith('$')) {
        throw new InvalidAppendError(`event needs an id and a non-system type (got '${event.type}')`);
      }
      const data = JSON.stringify(event.data);
      const metadata = event.metadata === undefined ? null : JSON.stringify(event.metadata);
      size += Buffer.byteLength(data) + (metadata === null ? 0 : Buffer.byteLength(metadata));
      return { event, data, metadata };
    });
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
    for (const { event, data, metadata } of encoded) {
      revision += 1n;
      const info = this.stmt.insertEvent.run(
        streamId,
        revision,
        event.id,
        event.type,
        data,
        metadata,
        createdMs,
      );
      position = BigInt(info.lastInsertRowid);
    }
    if (events.length > 0) this.stmt.updateStreamRevision.run(revision, streamId);
    return { nextExpectedRevision: revision, position: position ?? this.headSync() ?? 0n };
  }

  /**
   * EventStoreDB treats a repeated append of the same event ids as a no-op that returns the
   * first result; that is what makes retries after a lost acknowledgement safe.
   */
  private idempotentResult(
    streamId: string,
    events: readonly NewEvent[],
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

  // ---------------------------------------------------------------------------------------------
  // Reading

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    // Resolve visibility eagerly so that errors surface on the first iteration step, as in ESDB.
    const run = async function* (this: SqliteEventStore): AsyncGenerator<RecordedEvent> {
      this.assertOpen();
      const stream = this.stmt.getStream.get(streamId);
      if (stream === undefined || stream.state === BigInt(STREAM_STATE.softDeleted) || stream.revision < 0n) {
        if (stream?.state === BigInt(STREAM_STATE.tombstoned)) throw new StreamDeletedError(streamId);
        throw new StreamNotFoundError(streamId);
      }
      if (stream.state === BigInt(STREAM_STATE.tombstoned)) throw new StreamDeletedError(streamId);
      const lowest = this.lowestVisibleRevision(stream);
      const backwards = options.direction === 'backwards';
      const from = options.fromRevision ?? (backwards ? 'end' : 'start');
      let cursor: bigint = from === 'start' ? 0n : from === 'end' ? stream.revision : from;
      if (!backwards && cursor < lowest) cursor = lowest;
      let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
      const minCreated = stream.max_age_s === null ? null : this.now() - Number(stream.max_age_s) * 1000;
      const page = backwards
        ? this.db.prepare<[string, bigint, bigint, number], EventRow>(
            `SELECT * FROM events WHERE stream_id = ? AND revision <= ? AND revision >= ?
             ORDER BY revision DESC LIMIT ?`,
          )
        : this.db.prepare<[string, bigint, bigint, number], EventRow>(
            `SELECT * FROM events WHERE stream_id = ? AND revision >= ? AND revision <= ?
             ORDER BY revision ASC LIMIT ?`,
          );
      while (remaining > 0) {
        const limit = Math.min(this.pageSize, remaining);
        const rows = backwards
          ? page.all(streamId, cursor, lowest, limit)
          : page.all(streamId, cursor, stream.revision, limit);
        for (const row of rows) {
          if (minCreated !== null && Number(row.created_ms) < minCreated) continue;
          remaining -= 1;
          yield toRecorded(row);
        }
        if (rows.length < limit) break;
        const last = rows[rows.length - 1];
        if (last === undefined) break;
        cursor = backwards ? last.revision - 1n : last.revision + 1n;
        // The reads are synchronous: give timers and sockets a turn between pages of a long read.
        await nextTurn();
      }
    };
    return { [Symbol.asyncIterator]: () => run.call(this) };
  }

  private lowestVisibleRevision(stream: StreamRow): bigint {
    let lowest = stream.truncate_before;
    if (stream.max_count !== null) {
      const byCount = stream.revision - stream.max_count + 1n;
      if (byCount > lowest) lowest = byCount;
    }
    return lowest;
  }

  async streamRevision(streamId: string): Promise<Revision | null> {
    await Promise.resolve();
    this.assertOpen();
    const stream = this.stmt.getStream.get(streamId);
    if (stream === undefined || stream.state !== BigInt(STREAM_STATE.live) || stream.revision < 0n)
      return null;
    return stream.revision;
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const run = async function* (this: SqliteEventStore): AsyncGenerator<RecordedEvent> {
      this.assertOpen();
      const backwards = options.direction === 'backwards';
      const from = options.fromPosition ?? (backwards ? 'end' : 'start');
      // Forwards reads are exclusive of a given position (like a catch-up subscription);
      // backwards reads start at it.
      if (from === 'end' && !backwards) return;
      let cursor: bigint = from === 'start' ? 0n : from === 'end' ? (this.headSync() ?? 0n) : from;
      let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
      const where = filterSql(options.filter);
      const page = this.db.prepare<unknown[], EventRow>(
        backwards
          ? `SELECT * FROM events WHERE position <= ? ${where.sql} ORDER BY position DESC LIMIT ?`
          : `SELECT * FROM events WHERE position > ? ${where.sql} ORDER BY position ASC LIMIT ?`,
      );
      while (remaining > 0) {
        const limit = Math.min(this.pageSize, remaining);
        const rows = page.all(cursor, ...where.params, limit);
        for (const row of rows) {
          remaining -= 1;
          yield toRecorded(row);
        }
        const last = rows[rows.length - 1];
        if (rows.length < limit || last === undefined) break;
        cursor = backwards ? last.position - 1n : last.position;
        await nextTurn();
      }
    };
    return { [Symbol.asyncIterator]: () => run.call(this) };
  }

  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<SubscriptionItem> {
    const run = async function* (this: SqliteEventStore): AsyncGenerator<SubscriptionItem> {
      this.assertOpen();
      const { signal } = options;
      let cursor: bigint =
        options.fromPosition === 'start'
          ? 0n
          : options.fromPosition === 'end'
            ? (this.headSync() ?? 0n)
            : options.fromPosition;
      const where = filterSql(options.filter);
      const page = this.db.prepare<unknown[], EventRow>(
        `SELECT * FROM events WHERE position > ? ${where.sql} ORDER BY position ASC LIMIT ?`,
      );
      // Page and head are read in one read transaction, so no commit can slip in between them:
      // advancing the cursor to the head never skips an event that matches the filter.
      const readPage = this.db.transaction((from: bigint) => ({
        rows: page.all(from, ...where.params, this.pageSize),
        head: this.headSync(),
      }));
      // caughtUp is reported once at the start and again after every batch of live events, so a
      // consumer can use it as the moment to flush what it buffered.
      let delivered = true;
      while (!signal.aborted && !this.closed) {
        const { rows, head } = readPage(cursor);
        for (const row of rows) {
          if (signal.aborted) return;
          cursor = row.position;
          delivered = true;
          yield { kind: 'event', event: toRecorded(row) };
        }
        if (rows.length === this.pageSize) {
          await nextTurn();
          continue;
        }
        if (head !== null && head > cursor) {
          // The filter skipped events up to the head: let the consumer checkpoint past them.
          cursor = head;
          delivered = true;
          yield { kind: 'checkpoint', position: head };
        }
        if (delivered) {
          delivered = false;
          yield { kind: 'caughtUp', position: head };
        }
        await this.waitForCommit(signal);
      }
    };
    return { [Symbol.asyncIterator]: () => run.call(this) };
  }

  /** Resolves on the next local commit, after the poll interval (other processes), or on abort. */
  private waitForCommit(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.commits.off('commit', done);
        this.commits.off('close', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.commits.on('commit', done);
      this.commits.on('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata and deletion

  async getStreamMetadata(
    streamId: string,
  ): Promise<{ metadata: StreamMetadata; metastreamRevision: Revision | null }> {
    await Promise.resolve();
    this.assertOpen();
    const stream = this.stmt.getStream.get(streamId);
    if (stream === undefined || stream.meta_revision === null)
      return { metadata: {}, metastreamRevision: null };
    const metadata: {
      maxAge?: number;
      maxCount?: number;
      truncateBefore?: Revision;
      custom?: JsonObject;
    } = {};
    if (stream.max_age_s !== null) metadata.maxAge = Number(stream.max_age_s);
    if (stream.max_count !== null) metadata.maxCount = Number(stream.max_count);
    if (stream.truncate_before > 0n) metadata.truncateBefore = stream.truncate_before;
    if (stream.meta_custom !== null) metadata.custom = JSON.parse(stream.meta_custom) as JsonObject;
    return { metadata, metastreamRevision: stream.meta_revision };
  }

  async setStreamMetadata(
    streamId: string,
    metadata: StreamMetadata,
    options: { readonly expectedRevision?: 'any' | 'no_stream' | Revision } = {},
  ): Promise<{ metastreamRevision: Revision }> {
    this.assertOpen();
    const write = this.db.transaction((): Revision => {
      const stream = this.stmt.getStream.get(streamId);
      if (stream?.state === BigInt(STREAM_STATE.tombstoned)) throw new StreamDeletedError(streamId);
      const current = stream?.meta_revision ?? null;
      const expected = options.expectedRevision ?? 'any';
      if (
        (expected === 'no_stream' && current !== null) ||
        (typeof expected === 'bigint' && expected !== current)
      ) {
        throw new WrongExpectedVersionError(`$$${streamId}`, expected, current ?? 'no_stream');
      }
      if (stream === undefined) this.stmt.insertStream.run(streamId);
      const next = (current ?? -1n) + 1n;
      this.db
        .prepare(
          `UPDATE streams SET max_age_s = ?, max_count = ?, truncate_before = ?, meta_custom = ?, meta_revision = ?
           WHERE stream_id = ?`,
        )
        .run(
          metadata.maxAge ?? null,
          metadata.maxCount ?? null,
          metadata.truncateBefore ?? 0n,
          metadata.custom === undefined ? null : JSON.stringify(metadata.custom),
          next,
          streamId,
        );
      return next;
    });
    await Promise.resolve();
    return { metastreamRevision: write.immediate() };
  }

  deleteStream(
    streamId: string,
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<void> {
    return this.markDeleted(streamId, options.expectedRevision ?? 'any', STREAM_STATE.softDeleted);
  }

  tombstoneStream(
    streamId: string,
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<void> {
    return this.markDeleted(streamId, options.expectedRevision ?? 'any', STREAM_STATE.tombstoned);
  }

  private async markDeleted(streamId: string, expected: ExpectedRevision, state: number): Promise<void> {
    await Promise.resolve();
    this.assertOpen();
    const run = this.db.transaction(() => {
      const stream = this.stmt.getStream.get(streamId);
      if (stream?.state === BigInt(STREAM_STATE.tombstoned)) throw new StreamDeletedError(streamId);
      const live =
        stream !== undefined && stream.state === BigInt(STREAM_STATE.live) && stream.revision >= 0n;
      checkExpected(streamId, expected, live ? stream.revision : 'no_stream');
      if (state === STREAM_STATE.softDeleted && !live) throw new StreamNotFoundError(streamId);
      if (stream === undefined) this.stmt.insertStream.run(streamId);
      this.db.prepare(`UPDATE streams SET state = ? WHERE stream_id = ?`).run(state, streamId);
    });
    run.immediate();
    this.commits.emit('commit');
  }

  // ---------------------------------------------------------------------------------------------
  // Housekeeping

  async headPosition(): Promise<Position | null> {
    await Promise.resolve();
    this.assertOpen();
    return this.headSync();
  }

  private headSync(): Position | null {
    return this.stmt.head.get()?.position ?? null;
  }

  /** Every stream with its last revision, for the store tools (verify, stats). */
  async *listStreams(): AsyncGenerator<{
    streamId: string;
    revision: Revision;
    state: 'live' | 'deleted' | 'tombstoned';
  }> {
    this.assertOpen();
    const page = this.db.prepare<[string, number], StreamRow>(
      `SELECT * FROM streams WHERE stream_id > ? ORDER BY stream_id LIMIT ?`,
    );
    let cursor = '';
    for (;;) {
      const rows = page.all(cursor, this.pageSize);
      for (const row of rows) {
        const state =
          row.state === BigInt(STREAM_STATE.live)
            ? 'live'
            : row.state === BigInt(STREAM_STATE.softDeleted)
              ? 'deleted'
              : 'tombstoned';
        yield { streamId: row.stream_id, revision: row.revision, state };
      }
      const last = rows[rows.length - 1];
      if (rows.length < this.pageSize || last === undefined) return;
      cursor = last.stream_id;
      await nextTurn();
    }
  }

  /** Raw events of one stream, hidden ones included, in revision order (for verification). */
  async *readStreamRaw(streamId: string): AsyncGenerator<RecordedEvent> {
    this.assertOpen();
    const page = this.db.prepare<[string, bigint, number], EventRow>(
      `SELECT * FROM events WHERE stream_id = ? AND revision > ? ORDER BY revision LIMIT ?`,
    );
    let cursor = -1n;
    for (;;) {
      const rows = page.all(streamId, cursor, this.pageSize);
      for (const row of rows) yield toRecorded(row);
      const last = rows[rows.length - 1];
      if (rows.length < this.pageSize || last === undefined) return;
      cursor = last.revision;
      await nextTurn();
    }
  }

  /** Counts for `kim store stats`. */
  counts(): { events: bigint; streams: bigint; fileBytes: bigint } {
    this.assertOpen();
    const events = this.db.prepare<[], { n: bigint }>(`SELECT count(*) AS n FROM events`).get()?.n ?? 0n;
    const streams = this.db.prepare<[], { n: bigint }>(`SELECT count(*) AS n FROM streams`).get()?.n ?? 0n;
    const pageCount = this.db.pragma('page_count', { simple: true }) as bigint;
    const pageSize = this.db.pragma('page_size', { simple: true }) as bigint;
    return { events, streams, fileBytes: pageCount * pageSize };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // Let appends already queued finish before the handle goes away.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.commits.emit('close');
    this.db.close();
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

function checkExpected(streamId: string, expected: ExpectedRevision, current: Revision | 'no_stream'): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 'no_stream') ||
    (expected === 'stream_exists' && current !== 'no_stream') ||
    (typeof expected === 'bigint' && current !== 'no_stream' && expected === current);
  if (!ok) throw new WrongExpectedVersionError(streamId, expected, current);
}

function filterSql(filter: EventFilter | undefined): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter?.streamPrefixes !== undefined && filter.streamPrefixes.length > 0) {
    // substr() keeps the comparison exact and case-sensitive (LIKE would fold case and treat _ specially).
    parts.push(`(${filter.streamPrefixes.map(() => 'substr(stream_id, 1, ?) = ?').join(' OR ')})`);
    for (const prefix of filter.streamPrefixes) params.push(prefix.length, prefix);
  }
  if (filter?.eventTypes !== undefined && filter.eventTypes.length > 0) {
    parts.push(`type IN (${filter.eventTypes.map(() => '?').join(', ')})`);
    params.push(...filter.eventTypes);
  }
  return { sql: parts.length === 0 ? '' : `AND ${parts.join(' AND ')}`, params };
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as JsonObject,
    metadata: row.metadata === null ? {} : (JSON.parse(row.metadata) as JsonObject),
    created: new Date(Number(row.created_ms)),
  };
}
