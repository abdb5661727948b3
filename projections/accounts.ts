import type { Database as Db } from 'better-sqlite3';
import type { RecordedEvent } from '../adapters/eventstore/index.js';
import { decodeRecorded } from './decode.js';
import { prepared } from './statements.js';
import type { Projection } from './projection.js';

const localChanges = new WeakMap<Db, number>();

/**
 * A counter bumped whenever this process changes the accounts view on `db` (apply or reset), so
 * a cache of account rows knows when to drop them; changes made by other connections show in
 * SQLite's `PRAGMA data_version` instead.
 */
export function accountsViewChanges(db: Db): number {
  return localChanges.get(db) ?? 0;
}

function changed(db: Db): void {
  localChanges.set(db, accountsViewChanges(db) + 1);
}

/**
 * One row per account: what authentication, routing and the admin views need. Addresses are
 * kept as written (KIM forbids rewriting them) plus a lower-case key for case-insensitive lookup.
 */
export const accountsProjection: Projection = {
  name: 'accounts',
  version: 1,
  streamPrefixes: ['account-'],

  setup(db: Db): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS accounts (
        account_id      TEXT PRIMARY KEY,
        status          TEXT NOT NULL,     -- pending | active | locked | deregistered | purged
        address         TEXT,
        address_key     TEXT,              -- lower-case address for lookups
        telematik_id    TEXT,
        password_hash   TEXT,
        kim_version     TEXT,
        data_ttl_days   INTEGER,
        display_name    TEXT,
        lock_reason     TEXT,
        absence_text    TEXT,
        absence_from    TEXT,
        absence_until   TEXT,
        registered_at   TEXT,
        deregistered_at TEXT,
        grace_until     TEXT,
        updated_at      TEXT NOT NULL,
        revision        INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS accounts_address ON accounts (address_key);
    `);
  },

  reset(db: Db): void {
    db.exec(`DELETE FROM accounts;`);
    changed(db);
  },

  apply(db: Db, recorded: RecordedEvent): void {
    const decoded = decodeRecorded('account', recorded);
    if (decoded === null) return;
    changed(db);
    const { id, event } = decoded;
    const set = (assignments: string, ...values: unknown[]) =>
      prepared(
        db,
        `UPDATE accounts SET ${assignments}, updated_at = ?, revision = ? WHERE account_id = ?`,
      ).run(...values, event.data.at, recorded.revision, id);
    switch (event.type) {
      case 'registrationCodeIssued':
        // A pending account may get a new code (it replaces the previous one): upsert.
        prepared(
          db,
          `INSERT INTO accounts (account_id, status, telematik_id, updated_at, revision) VALUES (?, 'pending', ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET
             telematik_id = excluded.telematik_id, updated_at = excluded.updated_at, revision = excluded.revision`,
        ).run(id, event.data.telematikId, event.data.at, recorded.revision);
        return;
      case 'registered': {
        const d = event.data;
        prepared(
          db,
          `INSERT INTO accounts (account_id, status, updated_at, revision) VALUES (?, 'active', ?, ?)
           ON CONFLICT (account_id) DO NOTHING`,
        ).run(id, d.at, recorded.revision);
        set(
          `status = 'active', address = ?, address_key = ?, telematik_id = ?, password_hash = ?, kim_version = ?,
           data_ttl_days = ?, registered_at = ?`,
          d.address,
          d.address.toLowerCase(),
          d.telematikId,
          d.passwordHash,
          d.kimVersion,
          d.dataTimeToLive,
          d.at,
        );
        return;
      }
      case 'passwordChanged':
        set(`password_hash = ?`, event.data.passwordHash);
        return;
      case 'baseDataChanged': {
        const d = event.data;
        set(
          `kim_version = coalesce(?, kim_version), data_ttl_days = coalesce(?, data_ttl_days),
           display_name = coalesce(?, display_name)`,
          d.kimVersion ?? null,
          d.dataTimeToLive ?? null,
          d.displayName ?? null,
        );
        return;
      }
      case 'locked':
        set(`status = 'locked', lock_reason = ?`, event.data.reason);
        return;
      case 'unlocked':
        set(`status = 'active', lock_reason = NULL`);
        return;
      case 'absent':
        set(
          `absence_text = ?, absence_from = ?, absence_until = ?`,
          event.data.text,
          event.data.from,
          event.data.until,
        );
        return;
      case 'present':
        set(`absence_text = NULL, absence_from = NULL, absence_until = NULL`);
        return;
      case 'deregistered':
        set(
          `status = 'deregistered', deregistered_at = ?, grace_until = ?`,
          event.data.at,
          event.data.graceUntil,
        );
        return;
      case 'deregistrationRevoked':
        // Access returns to what it was before deregistration: locked if a lock reason is kept.
        set(
          `status = CASE WHEN lock_reason IS NULL THEN 'active' ELSE 'locked' END, deregistered_at = NULL, grace_until = NULL`,
        );
        return;
      case 'purged':
        // As in the aggregate: drop credentials and personal notes, keep identifiers.
        set(
          `status = 'purged', password_hash = NULL, display_name = NULL,
           absence_text = NULL, absence_from = NULL, absence_until = NULL`,
        );
        return;
    }
  },
};
