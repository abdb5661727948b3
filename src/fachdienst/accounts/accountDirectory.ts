import type { ReadModelDb } from '../../../projections/readModelDb.js';
import { prepared } from '../../../projections/statements.js';
import { addressKey } from './kimAddress.js';

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
  constructor(private readonly readModels: ReadModelDb) {}

  findByAddress(address: string): AccountRecord | null {
    const row = prepared<[string], Row>(
      this.readModels.db,
      `SELECT account_id, address, status, password_hash, grace_until, revision FROM accounts
       WHERE address_key = ? AND status <> 'purged' ORDER BY revision DESC LIMIT 1`,
    ).get(addressKey(address));
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
