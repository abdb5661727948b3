/**
 * A domain event: a name, the version of its data schema, and plain JSON data.
 * Events are stored as `type` + JSON `data`; `schemaVersion` travels in the stored event's
 * metadata. Old versions are upcast when decoded, never dropped.
 */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly schemaVersion: number;
  readonly data: Data;
}

/** ISO-8601 instant in UTC, e.g. '2026-11-28T17:34:56.000Z'. Dates stay strings in events. */
export type Instant = string;

/** What every command carries: the time it happens, decided outside the domain. */
export interface CommandMeta {
  readonly now: Instant;
}
