import { z } from 'zod/v4';
import { createEventDecoder, instant, nonEmpty } from '../shared/codec.js';
import type { VersionedSchemas } from '../shared/codec.js';
import {
  ABSENCE_TEXT_MAX_CHARS,
  DATA_TIME_TO_LIVE_MAX_DAYS,
  DATA_TIME_TO_LIVE_MIN_DAYS,
  DISPLAY_NAME_MAX_CHARS,
  kimVersions,
  lockReasons,
} from './events.js';
import type { AccountEvent, AccountEventData, AccountEventType } from './events.js';

const kimVersion = z.enum(kimVersions);
const dataTimeToLive = z.number().int().min(DATA_TIME_TO_LIVE_MIN_DAYS).max(DATA_TIME_TO_LIVE_MAX_DAYS);

const schemas: VersionedSchemas<AccountEventData> = {
  registrationCodeIssued: [
    z.object({
      accountId: nonEmpty,
      telematikId: nonEmpty,
      codeDigest: nonEmpty,
      expiresAt: instant,
      at: instant,
    }),
  ],
  registered: [
    z.object({
      accountId: nonEmpty,
      address: nonEmpty,
      telematikId: nonEmpty.nullable(),
      passwordHash: nonEmpty,
      kimVersion,
      dataTimeToLive,
      at: instant,
    }),
  ],
  passwordChanged: [z.object({ passwordHash: nonEmpty, at: instant })],
  baseDataChanged: [
    z.object({
      kimVersion: kimVersion.optional(),
      dataTimeToLive: dataTimeToLive.optional(),
      displayName: z.string().max(DISPLAY_NAME_MAX_CHARS).optional(),
      at: instant,
    }),
  ],
  locked: [z.object({ reason: z.enum(lockReasons), by: z.string().optional(), at: instant })],
  unlocked: [z.object({ by: z.string().optional(), at: instant })],
  absent: [
    z.object({ text: z.string().max(ABSENCE_TEXT_MAX_CHARS), from: instant, until: instant, at: instant }),
  ],
  present: [z.object({ at: instant })],
  deregistered: [z.object({ at: instant, graceUntil: instant })],
  deregistrationRevoked: [z.object({ at: instant })],
  purged: [z.object({ at: instant })],
};

export const accountEventTypes: readonly AccountEventType[] = Object.freeze(
  Object.keys(schemas) as AccountEventType[],
);

/** Validate stored event data and upcast it to the current schema version. */
export const decodeAccountEvent: (type: string, schemaVersion: number, data: unknown) => AccountEvent =
  createEventDecoder(schemas);
