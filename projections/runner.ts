import type { EventStore, Position, RecordedEvent } from '../adapters/eventstore/index.js';
import type { Projection } from './projection.js';
import type { ReadModelDb } from './readModelDb.js';

export interface ProjectionRunnerOptions {
  /** Events applied per transaction while catching up. */
  readonly batchSize?: number;
  /** Called after each committed batch: events applied so far, last position, the batch itself. */
  readonly onProgress?: (applied: number, position: Position, batch: readonly RecordedEvent[]) => void;
}

/**
 * Drives one projection, or several that share a read-model database, from one catch-up
 * subscription: the log is read once, and each batch is applied to every projection in one
 * read-model transaction together with their checkpoints. On start, a stored checkpoint of
 * another projection version triggers a rebuild of that projection from zero; a projection then
 * only applies events after its own checkpoint, so the others are not applied twice.
 */
export class ProjectionRunner {
  private position: Position | null = null;
  private waiters: Array<{ position: Position; resolve: (reached: boolean) => void }> = [];
  private readonly batchSize: number;
  private applied = 0;
  readonly projections: readonly Projection[];
  /** Per projection, the position it has applied (they differ only until a rebuild catches up). */
  private readonly checkpoints = new Map<string, Position | null>();
  private readonly streamPrefixes: readonly string[];

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelDb,
    projections: Projection | readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.projections = Array.isArray(projections) ? projections : [projections as Projection];
    if (this.projections.length === 0) throw new Error('a projection runner needs a projection');
    this.batchSize = options.batchSize ?? 1000;
    const db = readModels.db;
    db.transaction(() => {
      for (const projection of this.projections) {
        projection.setup(db);
        const stored = readModels.checkpoint(projection.name);
        if (stored !== null && stored.version !== projection.version) {
          projection.reset(db);
          readModels.saveCheckpoint(projection.name, projection.version, null);
        } else if (stored === null) {
          readModels.saveCheckpoint(projection.name, projection.version, null);
        }
      }
    }).immediate();
    for (const projection of this.projections) {
      this.checkpoints.set(projection.name, readModels.checkpoint(projection.name)?.position ?? null);
    }
    this.position = this.lowestCheckpoint();
    this.streamPrefixes = [...new Set(this.projections.flatMap((p) => p.streamPrefixes))];
  }

  /** The first projection (for logs; a runner of several names them all in `projections`). */
  get projection(): Projection {
    return this.projections[0] as Projection;
  }

  private lowestCheckpoint(): Position | null {
    let lowest: Position | undefined;
    for (const position of this.checkpoints.values()) {
      if (position === null) return null;
      if (lowest === undefined || position < lowest) lowest = position;
    }
    return lowest ?? null;
  }

  /** Position of the last event this projection has committed, null before the first. */
  get checkpoint(): Position | null {
    return this.position;
  }

  /** Forget everything and start again from the first event (on the next run or catchUp). */
  reset(): void {
    const db = this.readModels.db;
    db.transaction(() => {
      for (const projection of this.projections) {
        projection.reset(db);
        this.readModels.saveCheckpoint(projection.name, projection.version, null);
        this.checkpoints.set(projection.name, null);
      }
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
      filter: { streamPrefixes: this.streamPrefixes },
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
        filter: { streamPrefixes: this.streamPrefixes },
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
      for (const projection of this.projections) {
        const from = this.checkpoints.get(projection.name) ?? null;
        for (const event of batch) {
          if (from !== null && event.position <= from) continue;
          if (!projection.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) continue;
          projection.apply(db, event);
        }
        this.readModels.saveCheckpoint(projection.name, projection.version, position);
      }
    }).immediate();
    for (const projection of this.projections) this.checkpoints.set(projection.name, position);
    this.position = position;
    this.applied += batch.length;
    if (batch.length > 0) this.options.onProgress?.(this.applied, position, batch);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.position <= position);
      this.waiters = this.waiters.filter((w) => w.position > position);
      for (const waiter of ready) waiter.resolve(true);
    }
  }
}
