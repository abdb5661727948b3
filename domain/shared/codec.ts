import { z } from 'zod/v4';
import { EventDecodeError } from './errors.js';
import type { DomainEvent } from './event.js';
import { isSha256Hex } from './text.js';
import { isInstant } from './time.js';

/**
 * One schema per stored version of an event type, oldest first (index 0 = schemaVersion 1).
 * Every schema outputs the CURRENT data shape, so an old version is `oldSchema.transform(upcast)`
 * and the current version is the length of the list.
 */
export type VersionedSchemas<DataMap> = {
  readonly [K in keyof DataMap]: readonly [
    z.ZodType<DataMap[K], unknown>,
    ...z.ZodType<DataMap[K], unknown>[],
  ];
};

/** The discriminated union of events for a data map `{ type: data }`. */
export type EventUnion<DataMap> = {
  [K in keyof DataMap & string]: DomainEvent<K, DataMap[K] & object>;
}[keyof DataMap & string];

/** Build `decode(type, schemaVersion, data)`: validate, upcast to the current version, or throw. */
export function createEventDecoder<DataMap>(
  schemas: VersionedSchemas<DataMap>,
): (type: string, schemaVersion: number, data: unknown) => EventUnion<DataMap> {
  return (type, schemaVersion, data) => {
    if (!Object.hasOwn(schemas, type)) {
      throw new EventDecodeError(type, schemaVersion, 'unknown event type');
    }
    const versions = schemas[type as keyof DataMap];
    const schema =
      Number.isInteger(schemaVersion) && schemaVersion >= 1 ? versions[schemaVersion - 1] : undefined;
    if (schema === undefined) throw new EventDecodeError(type, schemaVersion, 'unknown schema version');
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new EventDecodeError(type, schemaVersion, `invalid data: ${issues.join('; ')}`);
    }
    return { type, schemaVersion: versions.length, data: parsed.data } as EventUnion<DataMap>;
  };
}

/** Building blocks shared by the aggregate codecs. */
export const instant = z.string().refine(isInstant, { message: 'not an ISO-8601 instant' });
export const nonEmpty = z.string().min(1);
export const sha256Hex = z.string().refine(isSha256Hex, { message: 'not a lowercase hex SHA-256 digest' });
export const uid = z.number().int().positive();
export const octets = z.number().int().nonnegative();
