import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import type { AccountCommand } from '../../domain/account/index.js';
import type { MailboxCommand, ReceiveMessage } from '../../domain/mailbox/index.js';
import { Account, Mailbox } from '../../src/core/aggregates.js';
import { CommandHandler } from '../../src/core/commandHandler.js';
import { ReadModelDb } from '../../projections/readModelDb.js';

export const T0 = '2026-03-01T10:00:00.000Z';
/** T0 plus `m` minutes. */
export const minute = (m: number): string => new Date(Date.parse(T0) + m * 60_000).toISOString();
/** T0 plus `d` days. */
export const day = (d: number): string => new Date(Date.parse(T0) + d * 86_400_000).toISOString();
/** A 64-character lowercase hex string (blob refs and digests). */
export const hex64 = (seed: number | string): string =>
  String(seed)
    .split('')
    .map((c) => c.charCodeAt(0).toString(16))
    .join('')
    .padEnd(64, '0')
    .slice(0, 64);

/** An event store, a command handler and a read-model database, all cleaned up by dispose(). */
export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'kim-proj-'));
  readonly store: SqliteEventStore;
  readonly commands: CommandHandler;
  readModels: ReadModelDb;
  private seq = 0;

  constructor(options: { readonly pollIntervalMs?: number } = {}) {
    this.store = new SqliteEventStore({ path: ':memory:', pollIntervalMs: options.pollIntervalMs ?? 20 });
    this.commands = new CommandHandler(this.store);
    this.readModels = new ReadModelDb(this.readModelPath);
  }

  get readModelPath(): string {
    return join(this.dir, 'read-models.sqlite');
  }

  /** Close and reopen the read-model database (a process restart for the projections). */
  reopenReadModels(): ReadModelDb {
    this.readModels.close();
    this.readModels = new ReadModelDb(this.readModelPath);
    return this.readModels;
  }

  async mailbox(mailboxId: string, command: MailboxCommand): Promise<bigint> {
    const result = await this.commands.handle(Mailbox, mailboxId, command, {
      commandId: `cmd-${++this.seq}`,
    });
    if (result.position === null) throw new Error(`mailbox command ${command.type} appended nothing`);
    return result.position;
  }

  async account(accountId: string, command: AccountCommand): Promise<bigint> {
    const result = await this.commands.handle(Account, accountId, command, {
      commandId: `cmd-${++this.seq}`,
    });
    if (result.position === null) throw new Error(`account command ${command.type} appended nothing`);
    return result.position;
  }

  openMailbox(mailboxId: string, accountId = `acc-of-${mailboxId}`, now = T0): Promise<bigint> {
    return this.mailbox(mailboxId, { type: 'OpenMailbox', mailboxId, accountId, now });
  }

  receive(mailboxId: string, messageKey: string, extra: Partial<ReceiveMessage> = {}): Promise<bigint> {
    return this.mailbox(mailboxId, {
      type: 'ReceiveMessage',
      messageKey,
      blobRef: hex64(messageKey),
      blobSize: 1000,
      traceHeader: '',
      digest: hex64(`d${messageKey}`),
      now: minute(1),
      ...extra,
    });
  }

  provision(accountId: string, address = `${accountId}@praxis.kim.telematik`): Promise<bigint> {
    return this.account(accountId, {
      type: 'Register',
      accountId,
      address,
      passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      kimVersion: '1.5+',
      dataTimeToLive: 90,
      telematikId: `1-2-${accountId}`,
      now: T0,
    });
  }

  rows<T>(sql: string, ...params: unknown[]): T[] {
    return this.readModels.db.prepare<unknown[], T>(sql).all(...params);
  }

  count(table: string): number {
    const row = this.readModels.db.prepare<[], { n: bigint }>(`SELECT count(*) AS n FROM ${table}`).get();
    return Number(row?.n ?? 0n);
  }

  async dispose(): Promise<void> {
    this.readModels.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
