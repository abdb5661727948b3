import type { Database as Db } from 'better-sqlite3';
import type { RecordedEvent } from '../adapters/eventstore/index.js';
import { decodeRecorded } from './decode.js';
import { prepared } from './statements.js';
import type { Projection } from './projection.js';

/**
 * The maildrop read model that POP3 serves: per mailbox the messages in arrival order with uid,
 * exact size and blob reference, and whether they are deleted. `mailboxes.revision` is the last
 * stream revision applied, so a POP3 login can wait until the view has caught up with the stream.
 */
export const maildropProjection: Projection = {
  name: 'maildrop',
  version: 1,
  streamPrefixes: ['mailbox-'],

  setup(db: Db): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS maildrop_mailboxes (
        mailbox_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        status     TEXT NOT NULL,         -- open | locked | closed
        revision   INTEGER NOT NULL,
        live_count INTEGER NOT NULL,
        live_bytes INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE IF NOT EXISTS maildrop_messages (
        mailbox_id   TEXT NOT NULL,
        uid          INTEGER NOT NULL,
        position     INTEGER NOT NULL,    -- arrival order across the log
        size         INTEGER NOT NULL,    -- octets served: trace header + body
        blob_ref     TEXT NOT NULL,
        blob_size    INTEGER NOT NULL,
        trace_header TEXT NOT NULL,
        digest       TEXT NOT NULL,
        arrived_at   TEXT NOT NULL,
        fetch_count  INTEGER NOT NULL DEFAULT 0,
        deleted_at   TEXT,
        deleted_reason TEXT,
        PRIMARY KEY (mailbox_id, uid)
      ) STRICT;
      CREATE INDEX IF NOT EXISTS maildrop_messages_blob ON maildrop_messages (blob_ref) WHERE deleted_at IS NULL;
    `);
  },

  reset(db: Db): void {
    db.exec(`DELETE FROM maildrop_messages; DELETE FROM maildrop_mailboxes;`);
  },

  apply(db: Db, recorded: RecordedEvent): void {
    const decoded = decodeRecorded('mailbox', recorded);
    if (decoded === null) return;
    const { id, event } = decoded;
    const revision = recorded.revision;
    switch (event.type) {
      case 'opened':
        prepared(
          db,
          `INSERT INTO maildrop_mailboxes (mailbox_id, account_id, status, revision, live_count, live_bytes)
           VALUES (?, ?, 'open', ?, 0, 0)`,
        ).run(id, event.data.accountId, revision);
        return;
      case 'received': {
        const d = event.data;
        prepared(
          db,
          `INSERT INTO maildrop_messages
             (mailbox_id, uid, position, size, blob_ref, blob_size, trace_header, digest, arrived_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          id,
          d.uid,
          recorded.position,
          d.size,
          d.blobRef,
          d.blobSize,
          d.traceHeader,
          d.digest,
          d.arrivedAt,
        );
        prepared(
          db,
          `UPDATE maildrop_mailboxes SET revision = ?, live_count = live_count + 1, live_bytes = live_bytes + ?
           WHERE mailbox_id = ?`,
        ).run(revision, d.size, id);
        return;
      }
      case 'fetched':
        prepared(
          db,
          `UPDATE maildrop_messages SET fetch_count = fetch_count + 1 WHERE mailbox_id = ? AND uid = ?`,
        ).run(id, event.data.uid);
        break;
      case 'deleted': {
        const row = prepared<[string, number], { size: bigint }>(
          db,
          `SELECT size FROM maildrop_messages WHERE mailbox_id = ? AND uid = ? AND deleted_at IS NULL`,
        ).get(id, event.data.uid);
        prepared(
          db,
          `UPDATE maildrop_messages SET deleted_at = ?, deleted_reason = ? WHERE mailbox_id = ? AND uid = ?`,
        ).run(event.data.at, event.data.reason, id, event.data.uid);
        if (row !== undefined) {
          prepared(
            db,
            `UPDATE maildrop_mailboxes SET live_count = live_count - 1, live_bytes = live_bytes - ? WHERE mailbox_id = ?`,
          ).run(row.size, id);
        }
        break;
      }
      case 'locked':
        prepared(db, `UPDATE maildrop_mailboxes SET status = 'locked' WHERE mailbox_id = ?`).run(id);
        break;
      case 'unlocked':
        prepared(db, `UPDATE maildrop_mailboxes SET status = 'open' WHERE mailbox_id = ?`).run(id);
        break;
      case 'closed':
        prepared(db, `UPDATE maildrop_mailboxes SET status = 'closed' WHERE mailbox_id = ?`).run(id);
        break;
    }
    prepared(db, `UPDATE maildrop_mailboxes SET revision = ? WHERE mailbox_id = ?`).run(revision, id);
  },
};
