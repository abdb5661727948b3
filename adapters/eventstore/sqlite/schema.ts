import type { Database } from 'better-sqlite3';

/** Bump when the table layout changes; older files are migrated in `migrate`. */
export const SCHEMA_VERSION = 1;

/**
 * One file holds the log. `position` is AUTOINCREMENT so positions are never reused and, because
 * SQLite has a single writer, commit order equals position order: a catch-up reader that has
 * seen position p has seen everything before p.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS streams (
  stream_id       TEXT PRIMARY KEY,
  revision        INTEGER NOT NULL,            -- last revision written, -1 if none
  truncate_before INTEGER NOT NULL DEFAULT 0,  -- $tb: lower revisions are hidden from stream reads
  max_age_s       INTEGER,                     -- $maxAge
  max_count       INTEGER,                     -- $maxCount
  meta_custom     TEXT,                        -- application metadata (JSON)
  meta_revision   INTEGER,                     -- revision of the metadata, NULL if never set
  state           INTEGER NOT NULL DEFAULT 0   -- 0 live, 1 soft-deleted, 2 tombstoned
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  position   INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id  TEXT NOT NULL,
  revision   INTEGER NOT NULL,
  event_id   TEXT NOT NULL UNIQUE,
  type       TEXT NOT NULL,
  data       TEXT NOT NULL,
  metadata   TEXT,
  created_ms INTEGER NOT NULL,
  UNIQUE (stream_id, revision)
) STRICT;
CREATE TABLE IF NOT EXISTS store_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`;

export const STREAM_STATE = { live: 0, softDeleted: 1, tombstoned: 2 } as const;

export function migrate(db: Database): void {
  db.exec(DDL);
  const row = db.prepare(`SELECT value FROM store_info WHERE key = 'schema_version'`).get() as
    { value: string } | undefined;
  if (row === undefined) {
    db.prepare(`INSERT INTO store_info (key, value) VALUES ('schema_version', ?)`).run(
      String(SCHEMA_VERSION),
    );
  } else if (Number(row.value) > SCHEMA_VERSION) {
    throw new Error(
      `event store schema version ${row.value} is newer than this build supports (${SCHEMA_VERSION})`,
    );
  }
}
