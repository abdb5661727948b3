import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { Account, Mailbox } from '../../src/core/aggregates.js';
import { CommandHandler } from '../../src/core/commandHandler.js';
import { storeStats } from '../../src/store/stats.js';
import { verifyStore } from '../../src/store/verify.js';

const now = '2026-11-28T12:00:00.000Z';
const hex = 'ab'.repeat(32);

describe('kim store verify (verifyStore)', () => {
  let dir: string;
  let path: string;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kim-verify-'));
    path = join(dir, 'events.sqlite');
    store = new SqliteEventStore({ path });
    const commands = new CommandHandler(store);
    await commands.handle(
      Mailbox,
      'm1',
      { type: 'OpenMailbox', mailboxId: 'm1', accountId: 'a1', now },
      { commandId: 'c1' },
    );
    for (let i = 0; i < 3; i++) {
      await commands.handle(
        Mailbox,
        'm1',
        {
          type: 'ReceiveMessage',
          messageKey: `k${i}`,
          blobRef: hex,
          blobSize: 10,
          traceHeader: '',
          digest: hex,
          now,
        },
        { commandId: `r${i}` },
      );
    }
    await commands.handle(
      Account,
      'a1',
      {
        type: 'Register',
        accountId: 'a1',
        address: 'praxis@a.kim.telematik',
        passwordHash: 'scrypt$x',
        kimVersion: '1.5',
        dataTimeToLive: 90,
        now,
      },
      { commandId: 'reg' },
    );
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Tamper with the file behind the store's back, as a disk fault or a bad migration would. */
  function tamper(sql: string, ...params: unknown[]): void {
    const raw = new Database(path);
    raw.prepare(sql).run(...params);
    raw.close();
  }

  it('passes a log written through the command handler', async () => {
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, events: 5, streams: 2, unknownStreams: 0, problems: [] });
  });

  it('reports an event whose data no longer decodes', async () => {
    tamper(`UPDATE events SET data = '{"uid":"one"}' WHERE stream_id = 'mailbox-m1' AND revision = 2`);
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'decode', streamId: 'mailbox-m1', revision: '2' }),
    ]);
  });

  it('reports a history the aggregate could not have produced', async () => {
    // A delivery to a mailbox that was never opened: the machine does not accept it.
    tamper(
      `UPDATE events SET type = 'fetched', data = '{"uid":1,"sessionId":"s","at":"${now}"}' WHERE stream_id = 'mailbox-m1' AND revision = 0`,
    );
    const report = await verifyStore(store);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'fold', streamId: 'mailbox-m1', revision: '0' }),
    ]);
  });

  it('reports a gap in a stream and a stream revision that does not match its events', async () => {
    tamper(`DELETE FROM events WHERE stream_id = 'mailbox-m1' AND revision = 1`);
    const report = await verifyStore(store);
    expect(report.problems.map((p) => p.kind)).toContain('revision-gap');
    tamper(`UPDATE streams SET revision = 9 WHERE stream_id = 'account-a1'`);
    const again = await verifyStore(store);
    expect(again.problems.map((p) => p.kind)).toContain('revision-mismatch');
  });

  it('checks streams of unknown kinds for order only and says so', async () => {
    await store.appendToStream('audit-1', [{ id: 'x', type: 'whatever', data: {} }]);
    const report = await verifyStore(store);
    expect(report).toMatchObject({ ok: true, unknownStreams: 1 });
  });

  it('reports progress while checking', async () => {
    const seen: number[] = [];
    await verifyStore(store, { onProgress: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(10); // every event once in the log pass and once in its stream
  });

  it('stats counts events by aggregate and type, and streams by kind', async () => {
    const stats = await storeStats(store);
    expect(stats).toMatchObject({
      events: 5,
      streams: 2,
      eventsByType: { 'mailbox.opened': 1, 'mailbox.received': 3, 'account.registered': 1 },
      streamsByKind: { mailbox: 1, account: 1 },
    });
  });
});
