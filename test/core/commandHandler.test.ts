import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SqliteEventStore,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../../adapters/eventstore/index.js';
import type { RecordedEvent } from '../../adapters/eventstore/index.js';
import type { MailboxCommand, ReceiveMessage } from '../../domain/mailbox/index.js';
import { liveMessages, mailboxStatus } from '../../domain/mailbox/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import { Mailbox } from '../../src/core/aggregates.js';
import { CommandHandler, ConcurrencyRetriesExhaustedError, eventId } from '../../src/core/commandHandler.js';

const T0 = '2026-03-01T10:00:00.000Z';
const MAILBOX = 'mbx-1';
const STREAM = 'mailbox-mbx-1';
const hex = (c: string): string => c.repeat(64);

const open: MailboxCommand = { type: 'OpenMailbox', mailboxId: MAILBOX, accountId: 'acc-1', now: T0 };
const receive = (messageKey: string, extra: Partial<ReceiveMessage> = {}): ReceiveMessage => ({
  type: 'ReceiveMessage',
  messageKey,
  blobRef: hex('b'),
  blobSize: 100,
  traceHeader: '',
  digest: hex('d'),
  now: T0,
  ...extra,
});

async function readAllOf(store: SqliteEventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  try {
    for await (const event of store.readStream(streamId)) out.push(event);
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return out;
}

describe('CommandHandler', () => {
  let store: SqliteEventStore;
  let handler: CommandHandler;

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    handler = new CommandHandler(store);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
  });

  describe('appending', () => {
    it('creates a new stream with expectedRevision no_stream and reports state, revision and position', async () => {
      const append = vi.spyOn(store, 'appendToStream');

      const result = await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });

      expect(append).toHaveBeenCalledTimes(1);
      expect(append).toHaveBeenCalledWith(STREAM, expect.any(Array), { expectedRevision: 'no_stream' });
      expect(result.alreadyHandled).toBe(false);
      expect(result.events.map((e) => e.type)).toEqual(['opened']);
      expect(mailboxStatus(result.state)).toBe('open');
      expect(result.revision).toBe(0n);
      expect(result.position).not.toBeNull();
      expect(result.position).toBe(await store.headPosition());
      const stored = await readAllOf(store, STREAM);
      expect(stored.map((e) => [e.type, e.revision])).toEqual([['opened', 0n]]);
    });

    it('appends to an existing stream with the revision it loaded', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const append = vi.spyOn(store, 'appendToStream');

      const result = await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });

      expect(append).toHaveBeenCalledWith(STREAM, expect.any(Array), { expectedRevision: 0n });
      expect(result.revision).toBe(1n);
      expect(liveMessages(result.state).map((m) => m.uid)).toEqual([1]);
      expect(result.position).toBe(await store.headPosition());
    });
  });

  describe('idempotency', () => {
    it('appends nothing when the same command id is handled twice and reports alreadyHandled', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const first = await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });
      const append = vi.spyOn(store, 'appendToStream');

      const second = await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });

      expect(append).not.toHaveBeenCalled();
      expect(second.alreadyHandled).toBe(true);
      expect(second.events).toEqual([]);
      expect(second.position).toBeNull();
      expect(second.revision).toBe(first.revision);
      expect(liveMessages(second.state).map((m) => m.uid)).toEqual([1]);
      expect(await readAllOf(store, STREAM)).toHaveLength(2);
    });

    it('recognises a retried command even after later commands were appended', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });
      await handler.handle(Mailbox, MAILBOX, receive('k2'), { commandId: 'cmd-r2' });

      // A retry with a different payload must not produce a second message: the id decides.
      const retry = await handler.handle(Mailbox, MAILBOX, receive('k1-resent'), { commandId: 'cmd-r1' });

      expect(retry.alreadyHandled).toBe(true);
      expect(retry.revision).toBe(2n);
      expect(await readAllOf(store, STREAM)).toHaveLength(3);
    });

    it('appends nothing for a no-op command (decide returns no events)', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });
      const append = vi.spyOn(store, 'appendToStream');

      // Same message key under a new command id: a redelivery, which the mailbox ignores.
      const result = await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1-again' });

      expect(append).not.toHaveBeenCalled();
      expect(result).toMatchObject({ events: [], revision: 1n, position: null, alreadyHandled: false });
      expect(await readAllOf(store, STREAM)).toHaveLength(2);
    });
  });

  describe('domain errors', () => {
    it('propagates a DomainError with its code and creates no stream', async () => {
      const append = vi.spyOn(store, 'appendToStream');

      const error = await handler
        .handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'MAILBOX_NOT_FOUND' });
      expect(append).not.toHaveBeenCalled();
      expect(await store.streamRevision(STREAM)).toBeNull();
    });

    it('propagates a validation error and leaves an existing stream unchanged', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });

      await expect(
        handler.handle(Mailbox, MAILBOX, receive('k1', { digest: 'NOT-HEX' }), { commandId: 'cmd-bad' }),
      ).rejects.toMatchObject({ name: 'DomainError', code: 'INVALID_COMMAND' });

      expect(await store.streamRevision(STREAM)).toBe(0n);
    });
  });

  describe('concurrency', () => {
    it('lets many concurrent deliveries to one mailbox all succeed with uids 1..n, each exactly once', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const n = 40;

      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          handler.handle(Mailbox, MAILBOX, receive(`key-${i}`), { commandId: `cmd-r${i}` }),
        ),
      );

      expect(results.every((r) => !r.alreadyHandled && r.events.length === 1)).toBe(true);
      const stored = await readAllOf(store, STREAM);
      const received = stored.filter((e) => e.type === 'received');
      const uids = received.map((e) => e.data['uid']);
      expect(uids).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      const keys = new Set(received.map((e) => e.data['messageKey']));
      expect(keys.size).toBe(n);
      // Every caller saw the uid that was actually stored for its message.
      for (const [i, result] of results.entries()) {
        const event = result.events[0];
        expect(event?.type).toBe('received');
        const storedForKey = received.find((e) => e.data['messageKey'] === `key-${i}`);
        expect(event?.type === 'received' ? event.data.uid : undefined).toBe(storedForKey?.data['uid']);
      }
    });

    it('decides in-process commands on one stream one after another, without conflicting appends', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const append = vi.spyOn(store, 'appendToStream');
      const n = 15;

      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          handler.handle(Mailbox, MAILBOX, receive(`key-${i}`), { commandId: `cmd-r${i}` }),
        ),
      );

      expect(append).toHaveBeenCalledTimes(n);
    });

    it('keeps handling later commands on a stream after an earlier queued command failed', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });

      const [bad, good] = await Promise.allSettled([
        handler.handle(Mailbox, MAILBOX, receive('k1', { digest: 'bad' }), { commandId: 'cmd-bad' }),
        handler.handle(Mailbox, MAILBOX, receive('k2'), { commandId: 'cmd-good' }),
      ]);

      expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_COMMAND' } });
      expect(good).toMatchObject({ status: 'fulfilled', value: { revision: 1n } });
    });

    it('retries a command that lost a race against another writer and decides on the fresh state', async () => {
      const other = new CommandHandler(store);
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });

      const [a, b] = await Promise.all([
        handler.handle(Mailbox, MAILBOX, receive('a'), { commandId: 'cmd-a' }),
        other.handle(Mailbox, MAILBOX, receive('b'), { commandId: 'cmd-b' }),
      ]);

      const uids = [a, b].map((r) => (r.events[0]?.type === 'received' ? r.events[0].data.uid : 0));
      expect(uids.sort()).toEqual([1, 2]);
      expect(await store.streamRevision(STREAM)).toBe(2n);
    });

    it('decides on the fresh state when another writer appended after this handler cached the stream', async () => {
      const other = new CommandHandler(store);
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      await handler.handle(Mailbox, MAILBOX, receive('a'), { commandId: 'cmd-a' }); // cached at revision 1
      await other.handle(Mailbox, MAILBOX, receive('b'), { commandId: 'cmd-b' }); // revision 2, unseen here
      const append = vi.spyOn(store, 'appendToStream');

      const c = await handler.handle(Mailbox, MAILBOX, receive('c'), { commandId: 'cmd-c' });

      // The first try used the cached revision and lost; the retry read the stream and appended after it.
      expect(append.mock.calls.map((call) => call[2])).toEqual([
        { expectedRevision: 1n },
        { expectedRevision: 2n },
      ]);
      expect(c.events[0]?.type === 'received' ? c.events[0].data.uid : 0).toBe(3);
      expect(liveMessages(c.state).map((m) => m.messageKey)).toEqual(['a', 'b', 'c']);
    });

    it('does not apply a command twice that another writer already handled, even with a stale cached fold', async () => {
      const other = new CommandHandler(store);
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      await other.handle(Mailbox, MAILBOX, receive('b'), { commandId: 'cmd-b' });

      const retried = await handler.handle(Mailbox, MAILBOX, receive('b'), { commandId: 'cmd-b' });

      // Either recognised up front or absorbed by the store's idempotent append: never twice.
      expect(await store.streamRevision(STREAM)).toBe(1n);
      expect(liveMessages(retried.state).map((m) => [m.messageKey, m.uid])).toEqual([['b', 1]]);
    });

    it('throws ConcurrencyRetriesExhaustedError when conflicts never stop', async () => {
      const a = new CommandHandler(store, { maxAttempts: 1 });
      const b = new CommandHandler(store, { maxAttempts: 1 });
      await a.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });

      const outcomes = await Promise.allSettled([
        a.handle(Mailbox, MAILBOX, receive('a'), { commandId: 'cmd-a' }),
        b.handle(Mailbox, MAILBOX, receive('b'), { commandId: 'cmd-b' }),
      ]);

      const rejected = outcomes.filter((o) => o.status === 'rejected');
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      const reason: unknown = rejected[0]?.reason;
      expect(reason).toBeInstanceOf(ConcurrencyRetriesExhaustedError);
      expect(reason).toMatchObject({ code: 'CONCURRENCY_RETRIES_EXHAUSTED', streamId: STREAM, attempts: 1 });
      expect(await store.streamRevision(STREAM)).toBe(1n);
    });

    it('re-decides on every conflict and gives up after exactly maxAttempts attempts', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const limited = new CommandHandler(store, { maxAttempts: 3 });
      // Simulate a writer that always wins the race: every append conflicts.
      const append = vi
        .spyOn(store, 'appendToStream')
        .mockRejectedValue(new WrongExpectedVersionError(STREAM, 0n, 1n));
      const read = vi.spyOn(store, 'readStream');

      const error = await limited
        .handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConcurrencyRetriesExhaustedError);
      expect(error).toMatchObject({ code: 'CONCURRENCY_RETRIES_EXHAUSTED', attempts: 3 });
      expect(append).toHaveBeenCalledTimes(3);
      expect(read).toHaveBeenCalledTimes(3);
    });

    it('does not retry errors other than WrongExpectedVersion', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      const append = vi.spyOn(store, 'appendToStream').mockRejectedValue(new Error('disk full'));

      await expect(handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' })).rejects.toThrow(
        'disk full',
      );
      expect(append).toHaveBeenCalledTimes(1);
    });
  });

  describe('stored events', () => {
    it('carry schemaVersion, causationId, correlationId and actor, with ids derived from the command id', async () => {
      await handler.handle(Mailbox, MAILBOX, open, { commandId: 'cmd-open' });
      await handler.handle(Mailbox, MAILBOX, receive('k1'), { commandId: 'cmd-r1' });
      await handler.handle(Mailbox, MAILBOX, receive('k2'), { commandId: 'cmd-r2' });

      await handler.handle(
        Mailbox,
        MAILBOX,
        { type: 'DeleteMessages', uids: [1, 2], reason: 'pop3', sessionId: 's-1', now: T0 },
        { commandId: 'cmd-dele', correlationId: 'session-42', actor: 'pop3' },
      );

      const stored = await readAllOf(store, STREAM);
      const deletes = stored.filter((e) => e.type === 'deleted');
      expect(deletes.map((e) => e.id)).toEqual([eventId('cmd-dele', 0), eventId('cmd-dele', 1)]);
      for (const event of deletes) {
        expect(event.metadata).toEqual({
          schemaVersion: 1,
          causationId: 'cmd-dele',
          correlationId: 'session-42',
          actor: 'pop3',
        });
      }
      const opened = stored[0];
      expect(opened?.id).toBe(eventId('cmd-open', 0));
      expect(opened?.metadata).toEqual({ schemaVersion: 1, causationId: 'cmd-open' });
    });

    it('derives event ids deterministically (same command id, same ids; different ids otherwise)', () => {
      expect(eventId('cmd-1', 0)).toBe(eventId('cmd-1', 0));
      expect(eventId('cmd-1', 0)).not.toBe(eventId('cmd-1', 1));
      expect(eventId('cmd-1', 0)).not.toBe(eventId('cmd-2', 0));
      expect(eventId('cmd-1', 0)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });
  });
});
