import type { Database as Db } from 'better-sqlite3';
import type { RecordedEvent } from '../adapters/eventstore/index.js';
import { decodeRecorded } from './decode.js';
import type { Projection } from './projection.js';
import { prepared } from './statements.js';

/**
 * The queue view of submissions: which accepted messages are not finished, and when each is due
 * next. The delivery processor works from it; the oldest pending one is the delivery-delay alarm.
 */
export const submissionsProjection: Projection = {
  name: 'submissions',
  version: 1,
  streamPrefixes: ['submission-'],

  setup(db: Db): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS submissions (
        submission_id   TEXT PRIMARY KEY,
        status          TEXT NOT NULL,     -- pending | completed
        blob_ref        TEXT NOT NULL,
        size            INTEGER NOT NULL,
        recipients      INTEGER NOT NULL,
        accepted_at     TEXT NOT NULL,
        next_attempt_at TEXT NOT NULL,
        completed_at    TEXT,
        revision        INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS submissions_due ON submissions (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX IF NOT EXISTS submissions_blob ON submissions (blob_ref) WHERE status = 'pending';
    `);
  },

  reset(db: Db): void {
    db.exec(`DELETE FROM submissions;`);
  },

  apply(db: Db, recorded: RecordedEvent): void {
    const decoded = decodeRecorded('submission', recorded);
    if (decoded === null) return;
    const { id, event } = decoded;
    switch (event.type) {
      case 'accepted': {
        const d = event.data;
        prepared(
          db,
          `INSERT INTO submissions (submission_id, status, blob_ref, size, recipients, accepted_at, next_attempt_at, revision)
           VALUES (?, 'pending', ?, ?, ?, ?, ?, ?)`,
        ).run(id, d.blobRef, d.size, d.recipients.length, d.acceptedAt, d.acceptedAt, recorded.revision);
        return;
      }
      case 'deferred':
        prepared(db, `UPDATE submissions SET next_attempt_at = ?, revision = ? WHERE submission_id = ?`).run(
          event.data.nextAttemptAt,
          recorded.revision,
          id,
        );
        return;
      case 'completed':
        prepared(
          db,
          `UPDATE submissions SET status = 'completed', completed_at = ?, revision = ? WHERE submission_id = ?`,
        ).run(event.data.at, recorded.revision, id);
        return;
      default:
        prepared(db, `UPDATE submissions SET revision = ? WHERE submission_id = ?`).run(
          recorded.revision,
          id,
        );
    }
  },
};
