import { randomUUID } from 'node:crypto';
import type { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import { accountStatus } from '../../../domain/account/index.js';
import type { AccountStatus, KimVersion } from '../../../domain/account/index.js';
import { DomainError } from '../../../domain/shared/errors.js';
import { Account, Mailbox } from '../../core/aggregates.js';
import type { CommandHandler } from '../../core/commandHandler.js';
import { uuidv5 } from '../../core/ids.js';
import { hashPassword } from '../auth/password.js';
import { addressKey } from '../../mail/kimAddress.js';

/**
 * The account id of an address. Deriving it from the address makes "one account per address"
 * race-free: two registrations of the same address meet on one stream, and the second is refused
 * by the account decider (ACCOUNT_EXISTS) under optimistic concurrency.
 */
export function accountIdFor(address: string): string {
  return uuidv5(`account:${addressKey(address)}`);
}

export interface ProvisionRequest {
  readonly address: string;
  readonly password: string;
  readonly kimVersion?: KimVersion;
  readonly dataTimeToLive?: number;
  readonly telematikId?: string;
  readonly now: Date;
  readonly by: string;
}

/** Operator provisioning until the Account Manager exists: register the account, open its mailbox. */
export async function provisionAccount(commands: CommandHandler, request: ProvisionRequest): Promise<string> {
  const accountId = accountIdFor(request.address);
  const now = request.now.toISOString();
  await commands.handle(
    Account,
    accountId,
    {
      type: 'Register',
      accountId,
      address: request.address,
      passwordHash: await hashPassword(request.password),
      kimVersion: request.kimVersion ?? '1.5',
      dataTimeToLive: request.dataTimeToLive ?? 90,
      ...(request.telematikId === undefined ? {} : { telematikId: request.telematikId }),
      now,
    },
    { commandId: randomUUID(), actor: request.by },
  );
  await openMailbox(commands, accountId, accountId, now, request.by);
  return accountId;
}

/**
 * Open an account's mailbox unless it is open already. Provisioning opens it; delivery calls this
 * too, in case the provisioning step after the registration was lost.
 */
export async function openMailbox(
  commands: CommandHandler,
  mailboxId: string,
  accountId: string,
  now: string,
  actor: string,
): Promise<void> {
  try {
    await commands.handle(
      Mailbox,
      mailboxId,
      { type: 'OpenMailbox', mailboxId, accountId, now },
      { commandId: `open:${mailboxId}`, actor },
    );
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'MAILBOX_EXISTS')) throw error;
  }
}

export async function setAccountLock(
  commands: CommandHandler,
  address: string,
  locked: boolean,
  by: string,
  now: Date,
): Promise<boolean> {
  const result = await commands.handle(
    Account,
    accountIdFor(address),
    locked
      ? { type: 'Lock', reason: 'operator', by, now: now.toISOString() }
      : { type: 'Unlock', by, now: now.toISOString() },
    { commandId: randomUUID(), actor: by },
  );
  return result.events.length > 0;
}

export async function changeAccountPassword(
  commands: CommandHandler,
  address: string,
  password: string,
  by: string,
  now: Date,
): Promise<void> {
  await commands.handle(
    Account,
    accountIdFor(address),
    { type: 'ChangePassword', passwordHash: await hashPassword(password), now: now.toISOString() },
    { commandId: randomUUID(), actor: by },
  );
}

export interface AccountSummary {
  readonly accountId: string;
  readonly address: string;
  readonly status: AccountStatus;
  readonly lockReason: string | null;
  readonly telematikId: string | null;
}

/**
 * Every account, folded from the event log itself (not a read model), so the operator tool works
 * beside a running Fachdienst without writing its projections.
 */
export async function listAccounts(
  store: SqliteEventStore,
  commands: CommandHandler,
): Promise<AccountSummary[]> {
  const out: AccountSummary[] = [];
  for await (const stream of store.listStreams()) {
    if (!stream.streamId.startsWith('account-') || stream.state !== 'live') continue;
    const id = stream.streamId.slice('account-'.length);
    const { state } = await commands.read(Account, id);
    const context = state.machine.context;
    out.push({
      accountId: id,
      address: context.address,
      status: accountStatus(state),
      lockReason: context.lockReason ?? null,
      telematikId: context.telematikId,
    });
  }
  return out.sort((a, b) => a.address.localeCompare(b.address));
}
