import type { EventStore, Position, RecordedEvent } from '../adapters/eventstore/index.js';
import type { Projection } from './projection.js';
import type { ReadModelDb } from './readModelDb.js';

export interface ProjectionRunnerOptions {
  /** Events applied per transaction while catching up. */
  readonly batchSize?: number;
  /** Called with progress while catching up (events applied so far, last position). */
  readonly onProgress?: (applied: number, position: Position) => void;
}

/**
 * Drives one projection from a catch-up subscription. Events are applied in batches; each batch
 * and the checkpoint of its last event commit in one read-model transaction. On start, a stored
 * checkpoint of another projection version triggers a rebuild from zero.
 */
export class ProjectionRunner {
  private position: Position | null = null;
  private waiters: Array<{ position: Position; resolve: (reached: boolean) => void }> = [];
  private readonly batchSize: number;
  private applied = 0;

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelDb,
    readonly projection: Projection,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1000;
    const db = readModels.db;
    db.transaction(() => {
      projection.setup(db);
      const stored = readModels.checkpoint(projection.name);
      if (stored !== null && stored.version !== projection.version) {
        projection.reset(db);
        readModels.saveCheckpoint(projection.name, projection.version, null);
      } else if (stored === null) {
        readModels.saveCheckpoint(projection.name, projection.version, null);
      }
    }).immediate();
    this.position = readModels.checkpoint(projection.name)?.position ?? null;
  }

  /** Position of the last event this projection has committed, null before the first. */
  get checkpoint(): Position | null {
    return this.position;
  }

  /** Forget everything and start again from the first event (on the next run or catchUp). */
  reset(): void {
    const db = this.readModels.db;
    db.transaction(() => {
      this.projection.reset(db);
      this.readModels.saveCheckpoint(this.projection.name, this.projection.version, null);
    }).immediate();
    this.position = null;
    this.applied = 0;
  }

  /** Apply everything committed so far and return (used by tools, tests and rebuilds). */
  async catchUp(): Promise<{ applied: number; position: Position | null }> {
    const before = this.applied;
    let batch: RecordedEvent[] = [];
    for await (const event of this.store.readAll({
      fromPosition: this.position ?? 'start',
      filter: { streamPrefixes: this.projection.streamPrefixes },
    })) {
      batch.push(event);
      if (batch.length >= this.batchSize) {
        this.commit(batch, event.position);
        batch = [];
      }
    }
    const last = batch[batch.length - 1];
    if (last !== undefined) this.commit(batch, last.position);
    return { applied: this.applied - before, position: this.position };
  }

  /** Follow the log until the signal aborts. Rejects if an event cannot be applied. */
  async run(signal: AbortSignal): Promise<void> {
    let batch: RecordedEvent[] = [];
    let pending: Position | null = null;
    try {
      for await (const item of this.store.subscribeToAll({
        fromPosition: this.position ?? 'start',
        filter: { streamPrefixes: this.projection.streamPrefixes },
        signal,
      })) {
        if (item.kind === 'event') {
          batch.push(item.event);
          pending = item.event.position;
          if (batch.length >= this.batchSize) {
            this.commit(batch, pending);
            batch = [];
          }
        } else {
          if (item.kind === 'checkpoint') pending = item.position;
          if (pending !== null && (this.position === null || pending > this.position))
            this.commit(batch, pending);
          batch = [];
        }
      }
    } finally {
      for (const waiter of this.waiters) waiter.resolve(false);
      this.waiters = [];
    }
  }

  /** Resolves true once the projection has applied the log up to `position` (read-your-writes). */
  waitFor(position: Position, timeoutMs: number): Promise<boolean> {
    if (this.position !== null && this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private commit(batch: readonly RecordedEvent[], position: Position): void {
    const db = this.readModels.db;
    db.transaction(() => {
      for (const event of batch) this.projection.apply(db, event);
      this.readModels.saveCheckpoint(this.projection.name, this.projection.version, position);
    }).immediate();
    this.position = position;
    this.applied += batch.length;
    if (batch.length > 0) this.options.onProgress?.(this.applied, position);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.position <= position);
      this.waiters = this.waiters.filter((w) => w.position > position);
      for (const waiter of ready) waiter.resolve(true);
    }
  }
}
