import type { Decider } from '../../domain/shared/decider.js';
import type { DomainEvent } from '../../domain/shared/event.js';

/** What the application needs to know about one kind of aggregate to load and store it. */
export interface AggregateType<State, Command, Event extends DomainEvent> {
  readonly decider: Decider<State, Command, Event>;
  /** Stream id of the aggregate with this id, e.g. `mailbox-<id>`. */
  streamId(id: string): string;
  /** Validates and upcasts a stored event; throws EventDecodeError. */
  decode(type: string, schemaVersion: number, data: unknown): Event;
}
