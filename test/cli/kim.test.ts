import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { Mailbox } from '../../src/core/aggregates.js';
import { CommandHandler } from '../../src/core/commandHandler.js';

const bin = join(import.meta.dirname, '../../src/cli/bin.ts');

function kim(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', bin, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the kim command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kim-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists its commands with --help', () => {
    const { code, stdout } = kim('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/usage: kim <command>/);
    expect(stdout).toMatch(/fachdienst/);
    expect(stdout).toMatch(/store/);
  });

  it('answers an unknown command with a one-line error and exit code 2', () => {
    const { code, stderr } = kim('frobnicate');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('rejects an unknown flag with the usage', () => {
    const { code, stderr } = kim('store', 'verify', '--bogus');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--bogus/);
    expect(stderr).toMatch(/usage: kim store/);
  });

  it('says clearly when there is no store to verify', () => {
    const { code, stderr } = kim('store', 'verify', '--data', join(dir, 'nothing-here'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/no event store at .*nothing-here/);
  });

  it('verifies a healthy store (exit 0), then fails on a tampered one (exit 1) naming the stream', async () => {
    const data = join(dir, 'verify');
    const store = new SqliteEventStore({ path: join(data, 'events.sqlite') });
    await new CommandHandler(store).handle(
      Mailbox,
      'm1',
      { type: 'OpenMailbox', mailboxId: 'm1', accountId: 'a1', now: '2026-11-28T12:00:00.000Z' },
      { commandId: 'open' },
    );
    await store.close();

    const ok = kim('store', 'verify', '--data', data);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 1 events in 1 streams checked/);
    expect(ok.stderr).toMatch(/verify: \d+ \/ 2 events/); // progress, on stderr

    const raw = new Database(join(data, 'events.sqlite'));
    raw.prepare(`UPDATE events SET data = '{}'`).run();
    raw.close();
    const bad = kim('store', 'verify', '--data', data, '--quiet');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED/);
    expect(bad.stdout).toMatch(/decode: mailbox-m1@0/);
    expect(bad.stderr).toBe('');

    const json = kim('store', 'stats', '--data', data, '--json', '--quiet');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ events: 1, streams: 1, streamsByKind: { mailbox: 1 } });
  });
});
