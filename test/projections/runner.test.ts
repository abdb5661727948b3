import type { Database as Db } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../adapters/eventstore/index.js';
import { accountsProjection } from '../../projections/accounts.js';
import { maildropProjection } from '../../projections/maildrop.js';
import type { Projection } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { Harness, minute } from './fixtures.js';

/** Wraps a projection and counts the events it is asked to apply. */
function counting(projection: Projection): Projection & { applied: RecordedEvent[] } {
  const applied: RecordedEvent[] = [];
  return {
    ...projection,
    applied,
    apply(db: Db, event: RecordedEvent) {
      applied.push(event);
      projection.apply(db, event);
    },
  };
}

/** A tiny projection over `probe-` streams that throws on events whose data has `boom: true`. */
function probeProjection(): Projection & { armed: boolean } {
  return {
    name: 'probe',
    version: 1,
    streamPrefixes: ['probe-'],
    armed: true,
    setup(db) {
      db.exec(
        `CREATE TABLE IF NOT EXISTS probe_rows (position INTEGER PRIMARY KEY, n INTEGER NOT NULL) STRICT`,
      );
    },
    reset(db) {
      db.exec(`DELETE FROM probe_rows`);
    },
    apply(db, event) {
      if (this.armed && event.data['boom'] === true)
        throw new Error(`cannot apply event at ${event.position}`);
      db.prepare(`INSERT INTO probe_rows (position, n) VALUES (?, ?)`).run(
        event.position,
        event.data['n'] ?? 0,
      );
    },
  };
}

interface MessageRow {
  mailbox_id: string;
  uid: bigint;
  size: bigint;
  blob_ref: string;
  fetch_count: bigint;
  deleted_at: string | null;
}

const allMaildropRows = (h: Harness) => ({
  mailboxes: h.rows<Record<string, unknown>>(`SELECT * FROM maildrop_mailboxes ORDER BY mailbox_id`),
  messages: h.rows<Record<string, unknown>>(`SELECT * FROM maildrop_messages ORDER BY mailbox_id, uid`),
});

describe('ProjectionRunner', () => {
  let h: Harness;

  beforeEach(() => {
    h = new Harness();
  });

  afterEach(async () => {
    await h.dispose();
  });

  async function seedTwoMailboxes(): Promise<bigint> {
    await h.openMailbox('m1');
    await h.openMailbox('m2');
    await h.receive('m1', 'k1');
    await h.receive('m2', 'k2');
    await h.receive('m1', 'k3');
    return h.mailbox('m1', { type: 'RecordFetch', uids: [1], sessionId: 's-1', now: minute(5) });
  }

  describe('catchUp and checkpoints', () => {
    it('applies every event of its streams and stores the checkpoint of the last one', async () => {
      const last = await seedTwoMailboxes();
      const projection = counting(maildropProjection);
      const runner = new ProjectionRunner(h.store, h.readModels, projection);

      const result = await runner.catchUp();

      expect(result).toEqual({ applied: 6, position: last });
      expect(projection.applied).toHaveLength(6);
      expect(runner.checkpoint).toBe(last);
      expect(h.readModels.checkpoint('maildrop')).toEqual({ version: 1, position: last });
      expect(h.count('maildrop_mailboxes')).toBe(2);
      expect(h.count('maildrop_messages')).toBe(3);
    });

    it('resumes a new runner from the stored checkpoint without re-applying anything', async () => {
      await seedTwoMailboxes();
      await new ProjectionRunner(h.store, h.readModels, maildropProjection).catchUp();
      const before = allMaildropRows(h);

      // A restart: the read-model database is reopened and a new runner is created.
      h.reopenReadModels();
      const projection = counting(maildropProjection);
      const runner = new ProjectionRunner(h.store, h.readModels, projection);
      const idle = await runner.catchUp();

      expect(idle.applied).toBe(0);
      expect(projection.applied).toHaveLength(0);
      expect(allMaildropRows(h)).toEqual(before);

      const next = await h.mailbox('m1', {
        type: 'RecordFetch',
        uids: [1],
        sessionId: 's-2',
        now: minute(6),
      });
      const more = await runner.catchUp();

      expect(more).toEqual({ applied: 1, position: next });
      expect(projection.applied.map((e) => e.position)).toEqual([next]);
      // Re-applying the earlier fetch would have counted it twice.
      expect(
        h.rows<MessageRow>(`SELECT * FROM maildrop_messages WHERE mailbox_id = 'm1' AND uid = 1`),
      ).toMatchObject([{ fetch_count: 2n }]);
    });

    it('reports progress per committed batch', async () => {
      await seedTwoMailboxes();
      const progress: Array<[number, bigint]> = [];
      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection, {
        batchSize: 4,
        onProgress: (applied, position) => progress.push([applied, position]),
      });

      await runner.catchUp();

      expect(progress.map(([applied]) => applied)).toEqual([4, 6]);
      expect(progress[1]?.[1]).toBe(runner.checkpoint);
    });
  });

  describe('atomicity of rows and checkpoint', () => {
    it('commits neither the rows nor the checkpoint of a batch whose apply fails, and rethrows', async () => {
      const probe = probeProjection();
      const runner = new ProjectionRunner(h.store, h.readModels, probe, { batchSize: 2 });
      const positions: bigint[] = [];
      const append = async (data: Record<string, number | boolean>) => {
        const r = await h.store.appendToStream('probe-1', [
          { id: `p-${positions.length}`, type: 'probe', data },
        ]);
        positions.push(r.position);
      };
      await append({ n: 1 });
      await append({ n: 2 });
      await append({ n: 3 });
      await append({ n: 4, boom: true });
      await append({ n: 5 });

      // Batches: [1, 2] commits; [3, boom] fails as a whole; [5] is never reached.
      await expect(runner.catchUp()).rejects.toThrow('cannot apply event');

      expect(h.rows<{ n: bigint }>(`SELECT n FROM probe_rows ORDER BY position`)).toEqual([
        { n: 1n },
        { n: 2n },
      ]);
      expect(runner.checkpoint).toBe(positions[1]);
      expect(h.readModels.checkpoint('probe')?.position).toBe(positions[1]);

      // Once the event can be applied, the runner continues right after the committed batch.
      probe.armed = false;
      await expect(runner.catchUp()).resolves.toEqual({ applied: 3, position: positions[4] });
      expect(h.rows<{ n: bigint }>(`SELECT n FROM probe_rows ORDER BY position`)).toEqual(
        [1n, 2n, 3n, 4n, 5n].map((n) => ({ n })),
      );
    });

    it('rejects run() when an event cannot be applied and keeps the checkpoint before it', async () => {
      const probe = probeProjection();
      const runner = new ProjectionRunner(h.store, h.readModels, probe);
      const ok = await h.store.appendToStream('probe-1', [{ id: 'a', type: 'probe', data: { n: 1 } }]);
      await runner.catchUp();
      await h.store.appendToStream('probe-1', [
        { id: 'b', type: 'probe', data: { n: 2 } },
        { id: 'c', type: 'probe', data: { n: 3, boom: true } },
      ]);
      const stop = new AbortController();

      await expect(runner.run(stop.signal)).rejects.toThrow('cannot apply event');

      stop.abort();
      expect(h.rows<{ n: bigint }>(`SELECT n FROM probe_rows`)).toEqual([{ n: 1n }]);
      expect(h.readModels.checkpoint('probe')?.position).toBe(ok.position);
      expect(runner.checkpoint).toBe(ok.position);
    });
  });

  describe('versions and rebuilds', () => {
    it('rebuilds a projection from zero when it starts with a new version number', async () => {
      await seedTwoMailboxes();
      await new ProjectionRunner(h.store, h.readModels, maildropProjection).catchUp();
      const before = allMaildropRows(h);

      const v2 = counting({ ...maildropProjection, version: 2 });
      const runner = new ProjectionRunner(h.store, h.readModels, v2);

      expect(runner.checkpoint).toBeNull();
      expect(h.readModels.checkpoint('maildrop')).toEqual({ version: 2, position: null });
      expect(h.count('maildrop_messages')).toBe(0);
      expect(h.count('maildrop_mailboxes')).toBe(0);

      await runner.catchUp();
      expect(v2.applied).toHaveLength(6);
      expect(allMaildropRows(h)).toEqual(before);
    });

    it('keeps rows and checkpoint when it starts with the same version number', async () => {
      const last = await seedTwoMailboxes();
      await new ProjectionRunner(h.store, h.readModels, maildropProjection).catchUp();

      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);

      expect(runner.checkpoint).toBe(last);
      expect(h.count('maildrop_messages')).toBe(3);
    });

    it('reset() followed by catchUp() rebuilds identical rows', async () => {
      await seedTwoMailboxes();
      await h.mailbox('m1', { type: 'DeleteMessages', uids: [1], reason: 'pop3', now: minute(9) });
      await h.mailbox('m2', { type: 'LockMailbox', reason: 'operator', now: minute(9) });
      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);
      await runner.catchUp();
      const before = allMaildropRows(h);
      const checkpoint = runner.checkpoint;

      runner.reset();
      expect(runner.checkpoint).toBeNull();
      expect(h.readModels.checkpoint('maildrop')?.position).toBeNull();
      expect(h.count('maildrop_messages')).toBe(0);

      await runner.catchUp();
      expect(allMaildropRows(h)).toEqual(before);
      expect(runner.checkpoint).toBe(checkpoint);
    });
  });

  describe('run and waitFor', () => {
    it('follows live appends: rows appear after commands and waitFor resolves true', async () => {
      await h.openMailbox('m1');
      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);
      const stop = new AbortController();
      const running = runner.run(stop.signal);
      try {
        const p1 = await h.receive('m1', 'k1');
        await expect(runner.waitFor(p1, 5_000)).resolves.toBe(true);
        expect(h.rows<MessageRow>(`SELECT * FROM maildrop_messages`)).toMatchObject([
          { mailbox_id: 'm1', uid: 1n },
        ]);

        const p2 = await h.receive('m1', 'k2');
        await expect(runner.waitFor(p2, 5_000)).resolves.toBe(true);
        expect(h.count('maildrop_messages')).toBe(2);
        expect(h.readModels.checkpoint('maildrop')?.position).toBe(p2);
        // Already reached: resolves at once.
        await expect(runner.waitFor(p1, 0)).resolves.toBe(true);
      } finally {
        stop.abort();
        await running;
      }
    });

    it('waitFor resolves false when the position is not reached in time', async () => {
      const p = await h.openMailbox('m1');
      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);
      await runner.catchUp();

      const started = Date.now();
      await expect(runner.waitFor(p + 1000n, 60)).resolves.toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    });

    it('waitFor resolves false for pending waiters when run() stops', async () => {
      const runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);
      const stop = new AbortController();
      const running = runner.run(stop.signal);
      const waiting = runner.waitFor(1_000_000n, 30_000);

      stop.abort();
      await running;

      await expect(waiting).resolves.toBe(false);
    });
  });

  describe('stream filter', () => {
    it('applies only its own streams and in run mode checkpoints past the others', async () => {
      await h.openMailbox('m1');
      await h.receive('m1', 'k1');
      const accountPosition = await h.provision('acc-1');
      const projection = counting(maildropProjection);
      const runner = new ProjectionRunner(h.store, h.readModels, projection);
      const stop = new AbortController();
      const running = runner.run(stop.signal);
      try {
        await expect(runner.waitFor(accountPosition, 5_000)).resolves.toBe(true);
        expect(projection.applied.map((e) => e.streamId)).toEqual(['mailbox-m1', 'mailbox-m1']);
        expect(h.readModels.checkpoint('maildrop')?.position).toBe(accountPosition);

        // Live: an account event alone still moves the checkpoint.
        const later = await h.account('acc-1', { type: 'Lock', reason: 'operator', now: minute(3) });
        await expect(runner.waitFor(later, 5_000)).resolves.toBe(true);
        expect(projection.applied).toHaveLength(2);
        expect(runner.checkpoint).toBe(later);
      } finally {
        stop.abort();
        await running;
      }
    });

    it('lets two projections share one read-model database, each with its own checkpoint', async () => {
      const mailboxPosition = await h.openMailbox('m1');
      const accountPosition = await h.provision('acc-1');
      const maildrop = new ProjectionRunner(h.store, h.readModels, maildropProjection);
      const accounts = new ProjectionRunner(h.store, h.readModels, accountsProjection);

      await maildrop.catchUp();
      await accounts.catchUp();

      expect(h.readModels.checkpoint('maildrop')?.position).toBe(mailboxPosition);
      expect(h.readModels.checkpoint('accounts')?.position).toBe(accountPosition);
      expect(h.count('maildrop_mailboxes')).toBe(1);
      expect(h.count('accounts')).toBe(1);
    });
  });
});
