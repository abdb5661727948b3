import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import type { RecordedEvent } from '../../../adapters/eventstore/index.js';
import { eventStoreContract } from './contract.js';

eventStoreContract('sqlite (file, WAL, synchronous=FULL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kim-es-'));
  const store = new SqliteEventStore({ path: join(dir, 'events.sqlite'), pollIntervalMs: 50 });
  return Promise.resolve({
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

describe('sqlite event store specifics', () => {
  it('keeps every event across close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kim-es-'));
    const path = join(dir, 'events.sqlite');
    try {
      const first = new SqliteEventStore({ path });
      await first.appendToStream('s-1', [{ id: 'e1', type: 'x', data: { a: 1 } }]);
      await first.close();
      const second = new SqliteEventStore({ path });
      const r = await second.appendToStream('s-1', [{ id: 'e2', type: 'x', data: { a: 2 } }], {
        expectedRevision: 0n,
      });
      expect(r.nextExpectedRevision).toBe(1n);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects appends after close with a typed error', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    await store.close();
    await expect(store.appendToStream('s', [{ id: 'e', type: 'x', data: {} }])).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });
  });

  it('isolates a failing append from the others committed in the same group', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const results = await Promise.allSettled([
      store.appendToStream('a', [{ id: '1', type: 'x', data: {} }], { expectedRevision: 'no_stream' }),
      store.appendToStream('b', [{ id: '2', type: 'x', data: {} }], { expectedRevision: 5n }),
      store.appendToStream('c', [{ id: '3', type: 'x', data: {} }], { expectedRevision: 'no_stream' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.streamRevision('b')).toBeNull();
    expect(await store.streamRevision('c')).toBe(0n);
    await store.close();
  });

  it('a live subscription misses and repeats nothing when another process appends in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kim-es-'));
    const path = join(dir, 'events.sqlite');
    // Two stores on one file stand for two processes: the other's commits reach the
    // subscription only through the log, never through its own process's notifications.
    const here = new SqliteEventStore({ path, pollIntervalMs: 20 });
    const other = new SqliteEventStore({ path, pollIntervalMs: 20 });
    const controller = new AbortController();
    try {
      const seen: RecordedEvent[] = [];
      let caughtUp!: () => void;
      const ready = new Promise<void>((resolve) => (caughtUp = resolve));
      const consuming = (async () => {
        for await (const item of here.subscribeToAll({ fromPosition: 'start', signal: controller.signal })) {
          if (item.kind === 'caughtUp') caughtUp();
          if (item.kind === 'event') seen.push(item.event);
        }
      })();
      await ready;
      const appends: Array<Promise<unknown>> = [];
      for (let i = 0; i < 60; i++) {
        const store = i % 3 === 0 ? other : here;
        appends.push(store.appendToStream(`s-${i % 7}`, [{ id: `e${i}`, type: 'x', data: { i } }]));
        if (i % 10 === 9) await Promise.all(appends.splice(0));
      }
      await Promise.all(appends);
      const head = await here.headPosition();
      for (let waited = 0; seen[seen.length - 1]?.position !== head && waited < 5000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      controller.abort();
      await consuming;
      expect(seen.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => BigInt(i + 1)));
      expect(new Set(seen.map((e) => e.id)).size).toBe(60);
    } finally {
      controller.abort();
      await here.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
