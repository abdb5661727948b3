import type { Database as Db, Statement } from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../threads/moduleWorker.js';
import { openSmallBlobDatabase } from './database.js';
import type { SmallBlobRow } from './database.js';
import type { FromSmallBlobWriter, ToSmallBlobWriter } from './protocol.js';

type Op = Exclude<ToSmallBlobWriter, { kind: 'close' }>;
type OpRequest = Op extends infer O ? (O extends Op ? Omit<O, 'id'> : never) : never;

export class SmallBlobWriteError extends Error {
  override readonly name = 'SmallBlobWriteError';
  readonly code = 'SMALL_BLOB_WRITE_FAILED';
}

/**
 * Small blobs in one SQLite file (see `openSmallBlobDatabase`). Reads run on the caller's
 * thread (one indexed lookup); writes go to a writer thread that group-commits them, and a
 * put or delete resolves once its commit is durable.
 */
export class SmallBlobTier {
  private readonly db: Db;
  private readonly worker: Worker;
  private readonly inFlight = new Map<
    number,
    { resolve: (changed: boolean) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private readonly stmt: {
    get: Statement<[string], { data: Buffer }>;
    stat: Statement<[string], { size: number; created_ms: number }>;
    list: Statement<[], SmallBlobRow>;
  };

  constructor(readonly path: string) {
    this.db = openSmallBlobDatabase(path);
    this.stmt = {
      get: this.db.prepare(`SELECT data FROM blobs WHERE ref = ?`),
      stat: this.db.prepare(`SELECT length(data) AS size, created_ms FROM blobs WHERE ref = ?`),
      list: this.db.prepare(`SELECT ref, length(data) AS size, created_ms FROM blobs ORDER BY ref`),
    };
    this.worker = startModuleWorker(import.meta.url, './writerThread.js', { path });
    this.worker.unref(); // referenced only while writes are in flight
    this.worker.on('message', (message: FromSmallBlobWriter) => {
      if (message.kind !== 'batch') return;
      for (const outcome of message.outcomes) {
        const pending = this.inFlight.get(outcome.id);
        if (pending === undefined) continue;
        this.inFlight.delete(outcome.id);
        if (outcome.ok) pending.resolve(outcome.changed);
        else pending.reject(new SmallBlobWriteError(outcome.message));
      }
      if (this.inFlight.size === 0) this.worker.unref();
    });
    this.worker.on('error', (error) => {
      // The writer died: nothing in flight is known to be durable.
      for (const pending of this.inFlight.values()) pending.reject(error);
      this.inFlight.clear();
    });
  }

  /** Durable when it resolves. Storing existing content again refreshes its age. */
  async put(ref: string, data: Uint8Array, nowMs: number): Promise<void> {
    await this.send({ kind: 'put', ref, data, nowMs });
  }

  get(ref: string): Buffer | undefined {
    return this.stmt.get.get(ref)?.data;
  }

  stat(ref: string): { size: number; mtimeMs: number } | null {
    const row = this.stmt.stat.get(ref);
    return row === undefined ? null : { size: row.size, mtimeMs: row.created_ms };
  }

  /** With `ifCreatedMs`, deletes only if no put refreshed the blob since it was looked at. */
  delete(ref: string, ifCreatedMs: number | null = null): Promise<boolean> {
    return this.send({ kind: 'delete', ref, ifCreatedMs });
  }

  /** A snapshot of the tier (refs, sizes, ages), in ref order. */
  rows(): SmallBlobRow[] {
    return this.stmt.list.all();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // The writer commits what it has, closes its database and ends its thread. We wait for the
      // thread to be gone before closing ours and letting the process exit: a process that exits
      // (or terminates the worker) while the worker still tears down SQLite can crash (SIGSEGV).
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.ref();
      this.worker.postMessage({ kind: 'close' } satisfies ToSmallBlobWriter);
      await exited;
      this.db.close();
    })();
    return this.closing;
  }

  private send(request: OpRequest): Promise<boolean> {
    if (this.closing !== null) return Promise.reject(new SmallBlobWriteError('small-blob store is closed'));
    return new Promise<boolean>((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, { resolve, reject });
      if (this.inFlight.size === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id });
    });
  }
}
