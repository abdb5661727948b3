import type { RecordedEvent } from '../adapters/eventstore/index.js';
import type { AggregateEvents, AggregateName } from '../domain/codec.js';
import { decodeDomainEvent, parseStreamId } from '../domain/codec.js';
import { schemaVersionOf } from '../src/core/eventCodec.js';

/** Decode a recorded event of the given aggregate; null when the stream belongs to another. */
export function decodeRecorded<A extends AggregateName>(
  aggregate: A,
  event: RecordedEvent,
): { id: string; event: AggregateEvents[A] } | null {
  const parsed = parseStreamId(event.streamId);
  if (parsed?.aggregate !== aggregate) return null;
  return {
    id: parsed.id,
    event: decodeDomainEvent(aggregate, event.type, schemaVersionOf(event), event.data),
  };
}
