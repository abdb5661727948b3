/**
 * Projection rebuild: write a log of N mailbox events (1,000 mailboxes with receives, fetches and
 * deletes), then rebuild the maildrop projection from zero and time it. Peak RSS of this process
 * is reported, so runs with different N show whether memory depends on the log length.
 */
import { join } from 'node:path';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import type { NewEvent } from '../../adapters/eventstore/index.js';
import { maildropProjection } from '../../projections/maildrop.js';
import { ReadModelDb } from '../../projections/readModelDb.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { peakRssMb, report, round, withTempDir } from '../support.js';

const N = Number(process.env['KIM_BENCH_REBUILD_EVENTS'] ?? 1_000_000);
const MAILBOXES = 1000;
const at = '2026-11-28T12:00:00.000Z';
const hex = 'cd'.repeat(32);

function* mailboxEvents(m: number, count: number): Generator<NewEvent> {
  yield {
    id: `m${m}-0`,
    type: 'opened',
    data: { mailboxId: `mb${m}`, accountId: `a${m}`, at },
    metadata: { schemaVersion: 1 },
  };
  let uid = 0;
  for (let i = 1; i < count;) {
    uid += 1;
    yield {
      id: `m${m}-${i++}`,
      type: 'received',
      data: {
        uid,
        messageKey: `k${uid}`,
        blobRef: hex,
        blobSize: 4000,
        traceHeader: 'Received: x\r\n',
        size: 4013,
        digest: hex,
        arrivedAt: at,
      },
      metadata: { schemaVersion: 1 },
    };
    if (i < count)
      yield {
        id: `m${m}-${i++}`,
        type: 'fetched',
        data: { uid, sessionId: 's', at },
        metadata: { schemaVersion: 1 },
      };
    if (i < count && uid % 2 === 0) {
      yield {
        id: `m${m}-${i++}`,
        type: 'deleted',
        data: { uid, reason: 'pop3', sessionId: 's', at },
        metadata: { schemaVersion: 1 },
      };
    }
  }
}

await withTempDir('kim-bench-rebuild-', async (dir) => {
  const store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
  const writeStart = performance.now();
  const perMailbox = Math.ceil(N / MAILBOXES);
  // Interleave the mailboxes so positions mix streams as in real traffic.
  const generators = Array.from({ length: MAILBOXES }, (_, m) => mailboxEvents(m, perMailbox));
  let written = 0;
  for (let live = true; live && written < N;) {
    live = false;
    const appends: Promise<unknown>[] = [];
    for (let m = 0; m < MAILBOXES && written < N; m++) {
      const batch: NewEvent[] = [];
      for (let k = 0; k < 50; k++) {
        const next = generators[m]!.next();
        if (next.done === true) break;
        batch.push(next.value);
      }
      if (batch.length === 0) continue;
      live = true;
      written += batch.length;
      appends.push(store.appendToStream(`mailbox-mb${m}`, batch));
    }
    await Promise.all(appends);
  }
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const rssBeforeRebuild = peakRssMb();

  const readModels = new ReadModelDb(join(dir, 'readmodels.sqlite'));
  const runner = new ProjectionRunner(store, readModels, maildropProjection, { batchSize: 5000 });
  runner.reset();
  const start = performance.now();
  const { applied } = await runner.catchUp();
  const rebuildSeconds = (performance.now() - start) / 1000;
  const rows = readModels.db.prepare('SELECT count(*) AS n FROM maildrop_messages').get() as { n: bigint };
  readModels.close();
  await store.close();
  report({
    phase: 'rebuild',
    events: written,
    applied,
    messageRows: Number(rows.n),
    writeSeconds: round(writeSeconds),
    rebuildSeconds: round(rebuildSeconds),
    rebuildEventsPerSecond: round(applied / rebuildSeconds, 0),
    peakRssBeforeRebuildMb: rssBeforeRebuild,
  });
});
