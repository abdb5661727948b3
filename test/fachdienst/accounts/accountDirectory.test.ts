import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import { accountsProjection } from '../../../projections/accounts.js';
import { ReadModelDb } from '../../../projections/readModelDb.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { CommandHandler } from '../../../src/core/commandHandler.js';
import { AccountDirectory } from '../../../src/fachdienst/accounts/accountDirectory.js';
import { provisionAccount, setAccountLock } from '../../../src/fachdienst/accounts/provisioning.js';

describe('account directory', () => {
  let dir: string;
  let store: SqliteEventStore;
  let readModels: ReadModelDb;
  let commands: CommandHandler;
  let views: ProjectionRunner;
  let directory: AccountDirectory;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kim-directory-'));
    store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    readModels = new ReadModelDb(join(dir, 'read-models.sqlite'));
    commands = new CommandHandler(store);
    views = new ProjectionRunner(store, readModels, accountsProjection);
    directory = new AccountDirectory(readModels);
  });
  afterEach(async () => {
    readModels.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const now = new Date('2026-11-28T12:00:00Z');

  it('finds an address case-insensitively, and an unknown one once it is registered', async () => {
    expect(directory.findByAddress('Alice@kim.test')).toBeNull();
    await provisionAccount(commands, { address: 'alice@kim.test', password: 'pw-Alice-1', now, by: 'test' });
    await views.catchUp();
    expect(directory.findByAddress('Alice@KIM.test')).toMatchObject({
      address: 'alice@kim.test',
      status: 'active',
    });
  });

  it('shows a lock as soon as the projection has applied it', async () => {
    await provisionAccount(commands, { address: 'bob@kim.test', password: 'pw-Bob-1', now, by: 'test' });
    await views.catchUp();
    expect(directory.findByAddress('bob@kim.test')?.status).toBe('active');
    await setAccountLock(commands, 'bob@kim.test', true, 'test', now);
    await views.catchUp();
    expect(directory.findByAddress('bob@kim.test')?.status).toBe('locked');
  });

  it('shows changes that another connection committed to the read models', async () => {
    await provisionAccount(commands, { address: 'carol@kim.test', password: 'pw-Carol-1', now, by: 'test' });
    await views.catchUp();
    expect(directory.findByAddress('carol@kim.test')?.status).toBe('active');
    // Another process with its own connection (a rebuild tool, say) writes the view.
    const other = new ReadModelDb(join(dir, 'read-models.sqlite'));
    try {
      other.db.prepare(`UPDATE accounts SET status = 'locked' WHERE address_key = ?`).run('carol@kim.test');
    } finally {
      other.close();
    }
    expect(directory.findByAddress('carol@kim.test')?.status).toBe('locked');
  });
});
