/**
 * Durable appends per second: one writer awaiting each append, then concurrent writers whose
 * appends share commits (group commit). Every append is one small event, fsync'd before it resolves.
 */
import { join } from 'node:path';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { report, round, withTempDir } from '../support.js';

const SECONDS = Number(process.env['KIM_BENCH_SECONDS'] ?? 3);

async function measure(writers: number): Promise<{ appends: number; perSecond: number }> {
  return withTempDir('kim-bench-append-', async (dir) => {
    const store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    const deadline = performance.now() + SECONDS * 1000;
    const start = performance.now();
    let appends = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; performance.now() < deadline; i++) {
          await store.appendToStream(`mailbox-bench-${w}`, [
            {
              id: `${w}-${i}`,
              type: 'fetched',
              data: { uid: i + 1, sessionId: 's', at: new Date().toISOString() },
            },
          ]);
          appends += 1;
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    await store.close();
    return { appends, perSecond: round(appends / elapsed, 0) };
  });
}

const one = await measure(1);
const sixteen = await measure(16);
const sixtyFour = await measure(64);
report({
  phase: 'appends',
  durableAppendsPerSecond: {
    oneWriter: one.perSecond,
    writers16: sixteen.perSecond,
    writers64: sixtyFour.perSecond,
  },
  seconds: SECONDS,
});
