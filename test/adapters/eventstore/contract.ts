/**
 * The event store contract: every adapter (SQLite now; EventStoreDB and PostgreSQL later) must
 * pass this suite unchanged. It speaks only through the port, so it documents the semantics the
 * rest of the system relies on.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  EventStore,
  NewEvent,
  RecordedEvent,
  SubscriptionItem,
} from '../../../adapters/eventstore/index.js';
import {
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../../../adapters/eventstore/index.js';

export interface ContractFixture {
  readonly store: EventStore;
  dispose(): Promise<void>;
}

function ev(type: string, data: Record<string, string | number | boolean> = {}, id = randomUUID()): NewEvent {
  return { id, type, data, metadata: { schemaVersion: 1 } };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function readError(iterable: AsyncIterable<unknown>): Promise<unknown> {
  try {
    await collect(iterable);
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Take items from a subscription until `until` says stop (or a time limit passes). */
async function take(
  iterable: AsyncIterable<SubscriptionItem>,
  until: (items: SubscriptionItem[]) => boolean,
  controller: AbortController,
  timeoutMs = 5000,
): Promise<SubscriptionItem[]> {
  const items: SubscriptionItem[] = [];
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const item of iterable) {
      items.push(item);
      if (until(items)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return items;
}

export function eventStoreContract(name: string, create: () => Promise<ContractFixture>): void {
  describe(`event store contract: ${name}`, () => {
    let fixture: ContractFixture;
    let store: EventStore;
    // Unique stream names keep the suite valid against a shared server that already has data.
    let s: (name: string) => string;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
      const run = randomUUID().slice(0, 8);
      s = (n) => `${n}-${run}`;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    describe('appending', () => {
      it('writes the first event of a new stream at revision 0 and reads it back unchanged', async () => {
        const event = ev('opened', { mailboxId: 'm1', size: 42, ok: true });
        const result = await store.appendToStream(s('mailbox'), [event], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0n);
        const [read] = await collect(store.readStream(s('mailbox')));
        expect(read).toMatchObject({
          id: event.id,
          streamId: s('mailbox'),
          revision: 0n,
          position: result.position,
          type: 'opened',
          data: { mailboxId: 'm1', size: 42, ok: true },
          metadata: { schemaVersion: 1 },
        });
        expect(read?.created).toBeInstanceOf(Date);
      });

      it('numbers revisions contiguously across appends', async () => {
        await store.appendToStream(s('a'), [ev('x'), ev('x')]);
        const r = await store.appendToStream(s('a'), [ev('x')], { expectedRevision: 1n });
        expect(r.nextExpectedRevision).toBe(2n);
        const revisions = (await collect(store.readStream(s('a')))).map((e) => e.revision);
        expect(revisions).toEqual([0n, 1n, 2n]);
      });

      it('rejects no_stream when the stream exists, reporting the actual revision', async () => {
        await store.appendToStream(s('a'), [ev('x')]);
        const error = await store
          .appendToStream(s('a'), [ev('x')], { expectedRevision: 'no_stream' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(0n);
      });

      it('rejects stream_exists for a missing stream', async () => {
        await expect(
          store.appendToStream(s('a'), [ev('x')], { expectedRevision: 'stream_exists' }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
      });

      it('accepts stream_exists for an existing stream', async () => {
        await store.appendToStream(s('a'), [ev('x')]);
        const r = await store.appendToStream(s('a'), [ev('x')], { expectedRevision: 'stream_exists' });
        expect(r.nextExpectedRevision).toBe(1n);
      });

      it('rejects a stale numeric expected revision and writes nothing', async () => {
        await store.appendToStream(s('a'), [ev('x'), ev('x')]);
        await expect(
          store.appendToStream(s('a'), [ev('y')], { expectedRevision: 0n }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect((await collect(store.readStream(s('a')))).map((e) => e.type)).toEqual(['x', 'x']);
      });

      it('lets exactly one of two concurrent writers with the same expected revision win', async () => {
        await store.appendToStream(s('a'), [ev('x')]);
        const results = await Promise.allSettled([
          store.appendToStream(s('a'), [ev('w1')], { expectedRevision: 0n }),
          store.appendToStream(s('a'), [ev('w2')], { expectedRevision: 0n }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected');
        expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(await collect(store.readStream(s('a')))).toHaveLength(2);
      });

      it('treats a repeated append of the same event ids as a no-op returning the first result', async () => {
        const events = [ev('x'), ev('y')];
        const first = await store.appendToStream(s('a'), events, { expectedRevision: 'no_stream' });
        const again = await store.appendToStream(s('a'), events, { expectedRevision: 'no_stream' });
        expect(again).toEqual(first);
        const againAny = await store.appendToStream(s('a'), events, { expectedRevision: 'any' });
        expect(againAny.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(await collect(store.readStream(s('a')))).toHaveLength(2);
      });

      it('keeps idempotency after later appends (a retry of an old append changes nothing)', async () => {
        const events = [ev('x')];
        const first = await store.appendToStream(s('a'), events, { expectedRevision: 'no_stream' });
        await store.appendToStream(s('a'), [ev('y')], { expectedRevision: 0n });
        const retry = await store.appendToStream(s('a'), events, { expectedRevision: 'no_stream' });
        expect(retry.nextExpectedRevision).toBe(first.nextExpectedRevision);
        expect(await collect(store.readStream(s('a')))).toHaveLength(2);
      });

      it('refuses a batch that only partly repeats earlier event ids', async () => {
        const x = ev('x');
        await store.appendToStream(s('a'), [x, ev('y')]);
        await expect(
          store.appendToStream(s('a'), [x, ev('z')], { expectedRevision: 'no_stream' }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await collect(store.readStream(s('a')))).toHaveLength(2);
      });

      it('refuses an append larger than the maximum append size (1 MiB by default)', async () => {
        const big = ev('blob', { payload: 'x'.repeat(1024 * 1024 + 1) });
        await expect(store.appendToStream(s('a'), [big])).rejects.toBeInstanceOf(MaxAppendSizeExceededError);
        expect(await store.streamRevision(s('a'))).toBeNull();
      });

      it('accepts many concurrent appends to different streams', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.appendToStream(s(`c${i}`), [ev('x')], { expectedRevision: 'no_stream' }),
          ),
        );
        const positions = results.map((r) => r.position);
        expect(new Set(positions.map(String)).size).toBe(50);
      });
    });

    describe('reading a stream', () => {
      it('reports a missing stream as StreamNotFoundError', async () => {
        expect(await readError(store.readStream(s('missing')))).toBeInstanceOf(StreamNotFoundError);
        expect(await store.streamRevision(s('missing'))).toBeNull();
      });

      it('reads from a revision, backwards, and with a maximum count', async () => {
        await store.appendToStream(
          s('a'),
          [0, 1, 2, 3, 4].map((i) => ev('x', { i })),
        );
        const from2 = await collect(store.readStream(s('a'), { fromRevision: 2n }));
        expect(from2.map((e) => e.data['i'])).toEqual([2, 3, 4]);
        const back = await collect(
          store.readStream(s('a'), { direction: 'backwards', fromRevision: 'end', maxCount: 2 }),
        );
        expect(back.map((e) => e.data['i'])).toEqual([4, 3]);
        const first2 = await collect(store.readStream(s('a'), { maxCount: 2 }));
        expect(first2.map((e) => e.data['i'])).toEqual([0, 1]);
        expect(await store.streamRevision(s('a'))).toBe(4n);
      });
    });

    describe('the global log', () => {
      it('orders all streams by strictly increasing position, exclusive of fromPosition', async () => {
        const head = (await store.headPosition()) ?? 'start';
        const a = await store.appendToStream(s('a'), [ev('x', { n: 1 })]);
        const b = await store.appendToStream(s('b'), [ev('x', { n: 2 })]);
        const c = await store.appendToStream(s('a'), [ev('x', { n: 3 })]);
        expect(a.position < b.position && b.position < c.position).toBe(true);
        const all = await collect(store.readAll({ fromPosition: head }));
        expect(all.map((e) => e.data['n'])).toEqual([1, 2, 3]);
        const afterA = await collect(store.readAll({ fromPosition: a.position }));
        expect(afterA.map((e) => e.data['n'])).toEqual([2, 3]);
        expect(await store.headPosition()).toBe(c.position);
      });

      it('reads backwards from the end with a maximum count', async () => {
        await store.appendToStream(s('a'), [ev('x', { n: 1 }), ev('x', { n: 2 }), ev('x', { n: 3 })]);
        const last2 = await collect(
          store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 2 }),
        );
        expect(last2.map((e) => e.data['n'])).toEqual([3, 2]);
      });

      it('filters by stream prefix and by event type', async () => {
        const head = (await store.headPosition()) ?? 'start';
        await store.appendToStream(`${s('mailbox')}-1`, [ev('received'), ev('deleted')]);
        await store.appendToStream(`${s('account')}-1`, [ev('registered')]);
        const mailbox = await collect(
          store.readAll({ fromPosition: head, filter: { streamPrefixes: [`${s('mailbox')}-`] } }),
        );
        expect(mailbox.map((e) => e.type)).toEqual(['received', 'deleted']);
        const types = await collect(
          store.readAll({ fromPosition: head, filter: { eventTypes: ['registered', 'deleted'] } }),
        );
        expect(types.map((e) => e.type)).toEqual(['deleted', 'registered']);
      });
    });

    describe('stream metadata', () => {
      it('stores metadata with its own revision and checks the expected metastream revision', async () => {
        expect(await store.getStreamMetadata(s('a'))).toEqual({ metadata: {}, metastreamRevision: null });
        const r0 = await store.setStreamMetadata(
          s('a'),
          { maxCount: 10, custom: { owner: 'x' } },
          { expectedRevision: 'no_stream' },
        );
        expect(r0.metastreamRevision).toBe(0n);
        await expect(
          store.setStreamMetadata(s('a'), { maxCount: 5 }, { expectedRevision: 'no_stream' }),
        ).rejects.toBeInstanceOf(WrongExpectedVersionError);
        const r1 = await store.setStreamMetadata(s('a'), { maxCount: 5 }, { expectedRevision: 0n });
        expect(r1.metastreamRevision).toBe(1n);
        expect(await store.getStreamMetadata(s('a'))).toEqual({
          metadata: { maxCount: 5 },
          metastreamRevision: 1n,
        });
      });

      it('hides events before truncateBefore from stream reads but keeps them in the global log', async () => {
        const head = (await store.headPosition()) ?? 'start';
        await store.appendToStream(
          s('a'),
          [0, 1, 2, 3].map((i) => ev('x', { i })),
        );
        await store.setStreamMetadata(s('a'), { truncateBefore: 2n });
        expect((await collect(store.readStream(s('a')))).map((e) => e.data['i'])).toEqual([2, 3]);
        const all = await collect(
          store.readAll({ fromPosition: head, filter: { streamPrefixes: [s('a')] } }),
        );
        expect(all).toHaveLength(4);
      });

      it('shows only the newest maxCount events', async () => {
        await store.appendToStream(
          s('a'),
          [0, 1, 2, 3].map((i) => ev('x', { i })),
        );
        await store.setStreamMetadata(s('a'), { maxCount: 2 });
        expect((await collect(store.readStream(s('a')))).map((e) => e.data['i'])).toEqual([2, 3]);
        const back = await collect(store.readStream(s('a'), { direction: 'backwards' }));
        expect(back.map((e) => e.data['i'])).toEqual([3, 2]);
      });

      it('hides events older than maxAge seconds', async () => {
        await store.appendToStream(s('a'), [ev('old')]);
        await store.setStreamMetadata(s('a'), { maxAge: 1 });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        await store.appendToStream(s('a'), [ev('new')]);
        expect((await collect(store.readStream(s('a')))).map((e) => e.type)).toEqual(['new']);
      });
    });

    describe('deletion', () => {
      it('soft delete makes the stream unreadable; a later append continues the revisions', async () => {
        await store.appendToStream(s('a'), [ev('x'), ev('x')]);
        await store.deleteStream(s('a'), { expectedRevision: 1n });
        expect(await readError(store.readStream(s('a')))).toBeInstanceOf(StreamNotFoundError);
        expect(await store.streamRevision(s('a'))).toBeNull();
        const r = await store.appendToStream(s('a'), [ev('again')], { expectedRevision: 'no_stream' });
        expect(r.nextExpectedRevision).toBe(2n);
        const visible = await collect(store.readStream(s('a')));
        expect(visible.map((e) => [e.type, e.revision])).toEqual([['again', 2n]]);
      });

      it('soft delete checks the expected revision', async () => {
        await store.appendToStream(s('a'), [ev('x'), ev('x')]);
        await expect(store.deleteStream(s('a'), { expectedRevision: 0n })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        expect(await store.streamRevision(s('a'))).toBe(1n);
      });

      it('a tombstoned stream can never be read or written again', async () => {
        await store.appendToStream(s('a'), [ev('x')]);
        await store.tombstoneStream(s('a'));
        expect(await readError(store.readStream(s('a')))).toBeInstanceOf(StreamDeletedError);
        await expect(store.appendToStream(s('a'), [ev('x')])).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(store.tombstoneStream(s('a'))).rejects.toBeInstanceOf(StreamDeletedError);
      });
    });

    describe('catch-up subscriptions', () => {
      it('delivers history after the checkpoint, reports caught up, then delivers live events', async () => {
        const first = await store.appendToStream(s('a'), [ev('x', { n: 1 })]);
        await store.appendToStream(s('a'), [ev('x', { n: 2 })]);
        const controller = new AbortController();
        const sub = store.subscribeToAll({
          fromPosition: first.position,
          filter: { streamPrefixes: [s('a')] },
          signal: controller.signal,
        });
        const live = (async () => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await store.appendToStream(s('a'), [ev('x', { n: 3 })]);
        })();
        const items = await take(
          sub,
          (got) => got.filter((i) => i.kind === 'event').length === 2,
          controller,
        );
        await live;
        controller.abort();
        const events = items.filter((i): i is { kind: 'event'; event: RecordedEvent } => i.kind === 'event');
        expect(events.map((i) => i.event.data['n'])).toEqual([2, 3]);
        const caughtUpIndex = items.findIndex((i) => i.kind === 'caughtUp');
        const liveIndex = items.findIndex((i) => i.kind === 'event' && i.event.data['n'] === 3);
        expect(caughtUpIndex).toBeGreaterThan(-1);
        expect(caughtUpIndex).toBeLessThan(liveIndex);
      });

      it('emits checkpoints past events a filter skipped, so a consumer can resume after them', async () => {
        const head = (await store.headPosition()) ?? 'start';
        await store.appendToStream(s('other'), [ev('x'), ev('x')]);
        const controller = new AbortController();
        const items = await take(
          store.subscribeToAll({
            fromPosition: head,
            filter: { streamPrefixes: [s('wanted')] },
            signal: controller.signal,
          }),
          (got) => got.some((i) => i.kind === 'caughtUp'),
          controller,
        );
        controller.abort();
        expect(items.some((i) => i.kind === 'event')).toBe(false);
        const checkpoint = items.find((i) => i.kind === 'checkpoint');
        expect(checkpoint?.kind === 'checkpoint' && checkpoint.position).toBe(await store.headPosition());
      });

      it('delivers live events exactly as a read of the log returns them', async () => {
        const controller = new AbortController();
        const iterator = store
          .subscribeToAll({
            fromPosition: 'end',
            filter: { streamPrefixes: [s('live')] },
            signal: controller.signal,
          })
          [Symbol.asyncIterator]();
        expect((await iterator.next()).value).toMatchObject({ kind: 'caughtUp' });
        const repeated = ev('x', { n: 1 });
        const from = await store.headPosition();
        await store.appendToStream(s('live'), [repeated]);
        await store.appendToStream(s('live'), [repeated]); // an idempotent repeat adds nothing
        await Promise.all([
          store.appendToStream(`${s('live')}.b`, [ev('y', { n: 2 }), ev('y', { n: 3 }), ev('y', { n: 4 })]),
          store.appendToStream(s('skipped'), [ev('z')]),
        ]);
        await store.appendToStream(s('skipped'), [ev('z')]);
        const head = await store.headPosition();
        const items: SubscriptionItem[] = [];
        const timer = setTimeout(() => controller.abort(), 5000);
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) break;
          items.push(next.value);
          const last = items[items.length - 1];
          if (last?.kind === 'caughtUp' && last.position === head) break;
        }
        clearTimeout(timer);
        controller.abort();
        const live = items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
        const logged = await collect(
          store.readAll({ fromPosition: from ?? 'start', filter: { streamPrefixes: [s('live')] } }),
        );
        expect(live).toEqual(logged);
        expect(live.map((e) => e.data['n'])).toEqual([1, 2, 3, 4]);
        // The last events were filtered out: the consumer can still checkpoint past them.
        expect(items.some((i) => i.kind === 'checkpoint' && i.position === head)).toBe(true);
      });

      it('ends when its signal is aborted', async () => {
        const controller = new AbortController();
        const iterator = store
          .subscribeToAll({ fromPosition: 'end', signal: controller.signal })
          [Symbol.asyncIterator]();
        const first = await iterator.next();
        expect(first.value).toMatchObject({ kind: 'caughtUp' });
        const pending = iterator.next();
        controller.abort();
        expect((await pending).done).toBe(true);
      });
    });
  });
}
