import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { prepared } from './statements.js';

/**
 * The database that holds the read models and their checkpoints. Everything here can be rebuilt
 * from the event log, so it runs with synchronous=NORMAL: a power loss can lose the last
 * transactions, and then the projections simply re-apply events from the older checkpoint
 * (checkpoint and rows always commit together, so they never disagree).
 */
export class ReadModelDb {
  readonly db: Db;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.defaultSafeIntegers(true);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS projection_checkpoints (
        name     TEXT PRIMARY KEY,
        version  INTEGER NOT NULL,
        position INTEGER             -- NULL: nothing applied yet
      ) STRICT;
    `);
  }

  checkpoint(name: string): { version: number; position: bigint | null } | null {
    const row = prepared<[string], { version: bigint; position: bigint | null }>(
      this.db,
      `SELECT version, position FROM projection_checkpoints WHERE name = ?`,
    ).get(name);
    return row === undefined ? null : { version: Number(row.version), position: row.position };
  }

  /** Call only inside the transaction that wrote the rows up to `position`. */
  saveCheckpoint(name: string, version: number, position: bigint | null): void {
    prepared(
      this.db,
      `INSERT INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position`,
    ).run(name, version, position);
  }

  close(): void {
    this.db.close();
  }
}
