import type { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { aggregateOfStream } from '../../domain/codec.js';

export interface StoreStats {
  readonly events: number;
  readonly streams: number;
  readonly headPosition: string | null;
  readonly fileBytes: number;
  readonly eventsByType: Readonly<Record<string, number>>;
  readonly streamsByKind: Readonly<Record<string, number>>;
  readonly firstEventAt: string | null;
  readonly lastEventAt: string | null;
}

/** One pass over the log; memory is bounded by the number of distinct event types and kinds. */
export async function storeStats(
  store: SqliteEventStore,
  options: { onProgress?: (seen: number) => void } = {},
): Promise<StoreStats> {
  const eventsByType: Record<string, number> = {};
  let events = 0;
  let first: Date | null = null;
  let last: Date | null = null;
  for await (const event of store.readAll()) {
    const key = `${aggregateOfStream(event.streamId) ?? 'other'}.${event.type}`;
    eventsByType[key] = (eventsByType[key] ?? 0) + 1;
    events += 1;
    first ??= event.created;
    last = event.created;
    if ((events & 1023) === 0) options.onProgress?.(events);
  }
  options.onProgress?.(events);
  const streamsByKind: Record<string, number> = {};
  let streams = 0;
  for await (const stream of store.listStreams()) {
    const kind = aggregateOfStream(stream.streamId) ?? 'other';
    streamsByKind[kind] = (streamsByKind[kind] ?? 0) + 1;
    streams += 1;
  }
  const head = await store.headPosition();
  return {
    events,
    streams,
    headPosition: head === null ? null : head.toString(),
    fileBytes: Number(store.counts().fileBytes),
    eventsByType,
    streamsByKind,
    firstEventAt: first?.toISOString() ?? null,
    lastEventAt: last?.toISOString() ?? null,
  };
}
