import type { Database as Db } from 'better-sqlite3';
import type { RecordedEvent } from '../adapters/eventstore/index.js';

/**
 * A fold of the event log into read-model tables. Projections never decide anything: they apply
 * what happened. `apply` runs inside the transaction that also stores the checkpoint, so each
 * event takes effect exactly once.
 */
export interface Projection {
  readonly name: string;
  /** Bump when the tables or the fold change: the runner then rebuilds from the start. */
  readonly version: number;
  /** Streams this projection reads, e.g. ['mailbox-']. */
  readonly streamPrefixes: readonly string[];
  /** Create tables and indexes (idempotent). */
  setup(db: Db): void;
  /** Remove every row (before a rebuild). */
  reset(db: Db): void;
  apply(db: Db, event: RecordedEvent): void;
}
