import type { Statement } from 'better-sqlite3';
import { accountsViewChanges } from '../../../projections/accounts.js';
import type { ReadModelDb } from '../../../projections/readModelDb.js';
import { prepared } from '../../../projections/statements.js';
import { addressKey } from '../../mail/kimAddress.js';

export type AccountRecordStatus = 'pending' | 'active' | 'locked' | 'deregistered' | 'purged';

export interface AccountRecord {
  readonly accountId: string;
  readonly address: string;
  readonly status: AccountRecordStatus;
  readonly passwordHash: string | null;
  readonly graceUntil: string | null;
  /** Changes whenever credentials or access change (password, lock, deregistration). */
  readonly credentialVersion: string;
}

const MAX_CACHED_ACCOUNTS = 10_000;

interface Row {
  account_id: string;
  address: string;
  status: AccountRecordStatus;
  password_hash: string | null;
  grace_until: string | null;
  revision: bigint;
}

/**
 * Reads accounts from the accounts projection: who may log in, which addresses exist. A purged
 * account no longer has an address here (its row stays for the audit, without credentials).
 */
export class AccountDirectory {
  /**
   * Rows by address key, null for "no such account". Every message looks its sender and
   * recipients up several times (AUTH, MAIL, RCPT, delivery), so rows are kept until the view
   * changes: through this process's projections, or through another connection to the file.
   */
  private readonly cache = new Map<string, AccountRecord | null>();
  private cachedAt: { local: number; dataVersion: bigint } | null = null;
  private readonly dataVersion: Statement<[], bigint>;

  constructor(private readonly readModels: ReadModelDb) {
    this.dataVersion = readModels.db.prepare<[], bigint>('PRAGMA data_version').pluck();
  }

  findByAddress(address: string): AccountRecord | null {
    const key = addressKey(address);
    const local = accountsViewChanges(this.readModels.db);
    const dataVersion = this.dataVersion.get() ?? 0n;
    if (this.cachedAt?.local !== local || this.cachedAt.dataVersion !== dataVersion) {
      this.cache.clear();
      this.cachedAt = { local, dataVersion };
    }
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const record = this.query(key);
    if (this.cache.size >= MAX_CACHED_ACCOUNTS) this.cache.clear();
    this.cache.set(key, record);
    return record;
  }

  private query(key: string): AccountRecord | null {
    const row = prepared<[string], Row>(
      this.readModels.db,
      `SELECT account_id, address, status, password_hash, grace_until, revision FROM accounts
       WHERE address_key = ? AND status <> 'purged' ORDER BY revision DESC LIMIT 1`,
    ).get(key);
    if (row === undefined) return null;
    return {
      accountId: row.account_id,
      address: row.address,
      status: row.status,
      passwordHash: row.password_hash,
      graceUntil: row.grace_until,
      credentialVersion: `${row.password_hash ?? ''}|${row.status}|${row.grace_until ?? ''}`,
    };
  }

  /** May this account receive mail now? Deregistered accounts receive nothing (KOM-LE-A_2149). */
  static canReceive(account: AccountRecord): boolean {
    return account.status === 'active' || account.status === 'locked';
  }
}
