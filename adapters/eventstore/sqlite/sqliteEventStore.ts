import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { Database as Db, Statement } from 'better-sqlite3';
import {
  InvalidAppendError,
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
import type { AppendRequest } from './appender.js';
import { checkExpected, encodeEvents, openLogDatabase, SqliteAppender } from './appender.js';
import { deserializeStoreError } from './errorCodec.js';
import { migrate, STREAM_STATE } from './schema.js';
import type { FromWriter, ToWriter, WriterData } from './writerProtocol.js';
import { startModuleWorker } from '../../threads/moduleWorker.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file; ':memory:' for tests that need no durability. */
  readonly path: string;
  /** EventStoreDB's default MaxAppendSize is 1 MiB; we keep the same limit so both behave alike. */
  readonly maxAppendSize?: number;
  /** How often a live subscription looks for commits made by other processes. */
  readonly pollIntervalMs?: number;
  /** Rows read per query by readAll and subscriptions. */
  readonly pageSize?: number;
  /** Clock for `created` and $maxAge; a custom clock implies the inline writer. */
  readonly now?: () => number;
  /**
   * Where commits run. 'thread' (the default for files) commits on a writer thread, so the fsync
   * of a commit never blocks the event loop; 'inline' commits on the calling thread (always so
   * for ':memory:', which another thread cannot open).
   */
  readonly writer?: 'thread' | 'inline';
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
  readonly request: AppendRequest;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A live subscription's queue of events committed by this process, in commit order. A queue
 * that grows past this (a consumer that stopped iterating) is dropped, and the subscription
 * reads the log instead.
 */
const LIVE_QUEUE_LIMIT = 10_000;

/**
 * The embedded event store: better-sqlite3 in WAL mode with synchronous=FULL, so a resolved
 * append has been fsync'd. Concurrent appends that arrive in the same turn of the event loop
 * share one transaction (group commit): each runs in its own savepoint, so one failing append
 * does not affect the others, and all of them cost a single fsync.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Db;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly commits = new EventEmitter();
  private closed = false;
  /** Inline writer: appends queued in this turn of the event loop, committed together. */
  private readonly appender: SqliteAppender | null;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  /** Thread writer: appends sent and not yet answered, by request id. */
  private readonly worker: Worker | null;
  private readonly inFlight = new Map<number, PendingAppend>();
  private nextRequestId = 1;
  private workerClosed: Promise<void> | null = null;
  /** One queue per live subscription that has caught up (see subscribeToAll). */
  private readonly liveQueues = new Set<RecordedEvent[]>();
  private readonly stmt: {
    getStream: Statement<[string], StreamRow>;
    insertStream: Statement<[string]>;
    head: Statement<[], { position: bigint | null }>;
  };

  constructor(options: SqliteEventStoreOptions) {
    this.db = openLogDatabase(options.path);
    migrate(this.db);
    const maxAppendSize = options.maxAppendSize ?? 1024 * 1024;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.pageSize = options.pageSize ?? 1000;
    this.now = options.now ?? Date.now;
    this.commits.setMaxListeners(0);
    this.stmt = {
      getStream: this.db.prepare(`SELECT * FROM streams WHERE stream_id = ?`),
      insertStream: this.db.prepare(`INSERT INTO streams (stream_id, revision) VALUES (?, -1)`),
      head: this.db.prepare(`SELECT max(position) AS position FROM events`),
    };
    const inline = options.path === ':memory:' || options.writer === 'inline' || options.now !== undefined;
    this.appender = inline ? new SqliteAppender(this.db, maxAppendSize, this.now) : null;
    this.worker = inline ? null : this.startWriter({ path: options.path, maxAppendSize });
  }

  private readonly statements = new Map<string, Statement>();

  /** Compile each SQL text once: reads run for every command and every subscription page. */
  private prepare<P extends unknown[], R>(sql: string): Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Statement<P, R>;
  }

  private startWriter(data: WriterData): Worker {
    const worker = startModuleWorker(import.meta.url, './writerThread.js', data);
    worker.unref(); // referenced only while appends are in flight (see appendToStream)
    worker.on('message', (message: FromWriter) => {
      if (message.kind !== 'batch') return;
      for (const outcome of message.outcomes) {
        const pending = this.inFlight.get(outcome.id);
        if (pending === undefined) continue;
        this.inFlight.delete(outcome.id);
        if (outcome.ok) {
          this.publishLocal(pending.request, outcome.result, outcome.createdMs);
          pending.resolve(outcome.result);
        } else pending.reject(deserializeStoreError(outcome.error));
      }
      if (this.inFlight.size === 0) worker.unref();
      this.commits.emit('commit');
    });
    worker.on('error', (error) => {
      // The writer died: nothing in flight is known to be durable.
      for (const pending of this.inFlight.values()) pending.reject(error);
      this.inFlight.clear();
    });
    return worker;
  }

  // ---------------------------------------------------------------------------------------------
  // Appending

  appendToStream(
    streamId: string,
    events: readonly NewEvent[],
    options: { readonly expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    let request: AppendRequest;
    try {
      request = { streamId, events: encodeEvents(events), expected: options.expectedRevision ?? 'any' };
    } catch (error) {
      // Data that JSON cannot hold (a BigInt, a cycle).
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(new InvalidAppendError(`event data is not JSON: ${reason}`));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      if (this.worker !== null) {
        const id = this.nextRequestId++;
        this.inFlight.set(id, { request, resolve, reject });
        if (this.inFlight.size === 1) this.worker.ref();
        this.worker.postMessage({ kind: 'append', id, request } satisfies ToWriter);
        return;
      }
      this.pending.push({ request, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushInline());
      }
    });
  }

  private flushInline(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.appender === null) return;
    let outcomes;
    try {
      outcomes = this.appender.appendBatch(batch.map((b) => b.request));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) pending.reject(new Error('internal: missing append outcome'));
      else if (outcome.ok) {
        this.publishLocal(pending.request, outcome.result, outcome.createdMs);
        pending.resolve(outcome.result);
      } else pending.reject(outcome.error);
    });
    this.commits.emit('commit');
  }

  /**
   * Hands the events of a committed append to the live subscriptions, exactly as a read of the
   * log would return them: one append's events have consecutive positions and revisions ending
   * at the result's, and their data is parsed from the stored JSON text.
   */
  private publishLocal(request: AppendRequest, result: AppendResult, createdMs: number | null): void {
    if (this.liveQueues.size === 0 || createdMs === null) return;
    const count = BigInt(request.events.length);
    for (const queue of this.liveQueues) {
      if (queue.length >= LIVE_QUEUE_LIMIT) queue.length = 0; // the subscription reads the log
      request.events.forEach((event, i) => {
        const back = count - 1n - BigInt(i);
        queue.push({
          id: event.id,
          streamId: request.streamId,
          revision: result.nextExpectedRevision - back,
          position: result.position - back,
          type: event.type,
          data: JSON.parse(event.data) as JsonObject,
          metadata: event.metadata === null ? {} : (JSON.parse(event.metadata) as JsonObject),
          created: new Date(createdMs),
        });
      });
    }
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
        ? this.prepare<[string, bigint, bigint, number], EventRow>(
            `SELECT * FROM events WHERE stream_id = ? AND revision <= ? AND revision >= ?
             ORDER BY revision DESC LIMIT ?`,
          )
        : this.prepare<[string, bigint, bigint, number], EventRow>(
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
      const page = this.prepare<unknown[], EventRow>(
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
      const matches = filterFunction(options.filter);
      const page = this.prepare<unknown[], EventRow>(
        `SELECT * FROM events WHERE position > ? ${where.sql} ORDER BY position ASC LIMIT ?`,
      );
      // Page and head are read in one read transaction, so no commit can slip in between them:
      // advancing the cursor to the head never skips an event that matches the filter.
      const readPage = this.db.transaction((from: bigint) => ({
        rows: page.all(from, ...where.params, this.pageSize),
        head: this.headSync(),
      }));
      // Once caught up, the cursor is the head of the log (filtered-out events included), and
      // events this process commits arrive in `live` without a read. They are used only while
      // their positions continue the cursor without a gap; a gap means another process wrote
      // (or the queue overflowed), and then the log is read as before.
      const live: RecordedEvent[] = [];
      let atHead = false;
      let head: bigint | null = null;
      this.liveQueues.add(live);
      try {
        // caughtUp is reported once at the start and again after every batch of live events, so
        // a consumer can use it as the moment to flush what it buffered.
        let delivered = true;
        while (!signal.aborted && !this.closed) {
          const fresh = atHead ? takeContiguous(live, cursor) : null;
          if (fresh !== null) {
            for (const event of fresh) {
              if (signal.aborted) return;
              if (!matches(event)) continue;
              cursor = event.position;
              delivered = true;
              yield { kind: 'event', event };
            }
            head = (fresh[fresh.length - 1] as RecordedEvent).position;
            if (head > cursor) {
              cursor = head;
              delivered = true;
              yield { kind: 'checkpoint', position: head };
            }
          } else {
            // Whatever is queued has committed, so this read sees it too.
            live.length = 0;
            const read = readPage(cursor);
            const rows = read.rows;
            head = read.head;
            for (const row of rows) {
              if (signal.aborted) return;
              cursor = row.position;
              delivered = true;
              yield { kind: 'event', event: toRecorded(row) };
            }
            if (rows.length === this.pageSize) {
              atHead = false;
              await nextTurn();
              continue;
            }
            if (head !== null && head > cursor) {
              // The filter skipped events up to the head: let the consumer checkpoint past them.
              cursor = head;
              delivered = true;
              yield { kind: 'checkpoint', position: head };
            }
            atHead = true;
          }
          if (delivered) {
            delivered = false;
            yield { kind: 'caughtUp', position: head };
          }
          if (live.length === 0) await this.waitForCommit(signal);
        }
      } finally {
        this.liveQueues.delete(live);
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
    const page = this.prepare<[string, number], StreamRow>(
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
    const page = this.prepare<[string, bigint, number], EventRow>(
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Appends already queued finish before the handle goes away.
    if (this.pending.length > 0) this.flushInline();
    if (this.worker !== null) {
      const worker = this.worker;
      // The writer commits what is queued, closes its database and ends its thread; wait until
      // the thread is gone (exiting or terminating while it tears down SQLite can crash the process).
      this.workerClosed ??= new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      worker.postMessage({ kind: 'close' } satisfies ToWriter);
      await this.workerClosed;
    }
    this.commits.emit('close');
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
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

/** The same selection as filterSql, for events that are already in memory. */
function filterFunction(filter: EventFilter | undefined): (event: RecordedEvent) => boolean {
  const prefixes = filter?.streamPrefixes ?? [];
  const types = filter?.eventTypes ?? [];
  return (event) =>
    (prefixes.length === 0 || prefixes.some((prefix) => event.streamId.startsWith(prefix))) &&
    (types.length === 0 || types.includes(event.type));
}

/**
 * Removes from the front of `queue` the events that continue `cursor` without a gap and returns
 * them; null (and an emptied queue) when nothing usable is there, so the caller reads the log.
 */
function takeContiguous(queue: RecordedEvent[], cursor: bigint): RecordedEvent[] | null {
  let start = 0;
  while (start < queue.length && (queue[start] as RecordedEvent).position <= cursor) start += 1;
  let end = start;
  let expected = cursor + 1n;
  while (end < queue.length && (queue[end] as RecordedEvent).position === expected) {
    end += 1;
    expected += 1n;
  }
  if (end === start) {
    queue.length = 0;
    return null;
  }
  const taken = queue.slice(start, end);
  queue.splice(0, end);
  return taken;
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
