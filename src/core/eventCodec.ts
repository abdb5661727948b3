import type { JsonObject, NewEvent, RecordedEvent } from '../../adapters/eventstore/index.js';
import type { DomainEvent } from '../../domain/shared/event.js';

/** Per-command metadata stored with every event it caused (who and why, never content). */
export interface EventContext {
  /** Id of the command; event ids derive from it, which makes retries idempotent. */
  readonly commandId: string;
  readonly correlationId?: string;
  /** Who caused it: 'smtp', 'pop3', 'operator:<id>', 'scheduler', … */
  readonly actor?: string;
}

export function encodeEvent(event: DomainEvent, id: string, context: EventContext): NewEvent {
  const metadata: JsonObject = { schemaVersion: event.schemaVersion, causationId: context.commandId };
  if (context.correlationId !== undefined) metadata['correlationId'] = context.correlationId;
  if (context.actor !== undefined) metadata['actor'] = context.actor;
  // Domain event data is JSON-plain by construction (strings, numbers, booleans, arrays, objects).
  return { id, type: event.type, data: event.data as JsonObject, metadata };
}

/** Schema version of a stored event; events written before versioning count as version 1. */
export function schemaVersionOf(event: RecordedEvent): number {
  const v = event.metadata['schemaVersion'];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 1;
}
