import { z } from 'zod/v4';
import { createEventDecoder, instant, nonEmpty, octets, sha256Hex, uid } from '../shared/codec.js';
import type { VersionedSchemas } from '../shared/codec.js';
import { deleteReasons } from './events.js';
import type { MailboxEvent, MailboxEventData, MailboxEventType } from './events.js';

const schemas: VersionedSchemas<MailboxEventData> = {
  opened: [z.object({ mailboxId: nonEmpty, accountId: nonEmpty, at: instant })],
  received: [
    z.object({
      uid,
      messageKey: nonEmpty,
      blobRef: nonEmpty,
      blobSize: octets,
      traceHeader: z.string(),
      size: octets,
      digest: sha256Hex,
      arrivedAt: instant,
    }),
  ],
  fetched: [z.object({ uid, sessionId: z.string(), at: instant })],
  deleted: [z.object({ uid, reason: z.enum(deleteReasons), sessionId: z.string().optional(), at: instant })],
  locked: [z.object({ reason: z.string(), at: instant })],
  unlocked: [z.object({ at: instant })],
  closed: [z.object({ reason: z.string(), at: instant })],
};

export const mailboxEventTypes: readonly MailboxEventType[] = Object.freeze(
  Object.keys(schemas) as MailboxEventType[],
);

/** Validate stored event data and upcast it to the current schema version. */
export const decodeMailboxEvent: (type: string, schemaVersion: number, data: unknown) => MailboxEvent =
  createEventDecoder(schemas);
