import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';

/**
 * The small-blob tier: bodies up to a few tens of KiB live in one SQLite file instead of one
 * file each. A file per 4 KiB message costs create, write, fsync, close, rename and a directory
 * fsync; here the writer thread commits whatever arrived meanwhile with one WAL fsync, and a
 * read is one indexed lookup. Every connection uses these pragmas (FULL: a committed put
 * survives power loss).
 */
export function openSmallBlobDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // Deleted message bodies must not linger in free pages.
  db.pragma('secure_delete = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS blobs (
      ref        TEXT PRIMARY KEY,   -- lowercase hex SHA-256 of data
      data       BLOB NOT NULL,
      created_ms INTEGER NOT NULL    -- last put of this content: the age gc compares with its grace
    ) STRICT;
  `);
  return db;
}

export interface SmallBlobRow {
  readonly ref: string;
  readonly size: number;
  readonly created_ms: number;
}
