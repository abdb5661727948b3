import { z } from 'zod/v4';
import { createEventDecoder, instant, nonEmpty, octets, sha256Hex, uid } from '../shared/codec.js';
import type { VersionedSchemas } from '../shared/codec.js';
import { ENHANCED_STATUS, notifyValues, returnValues } from './events.js';
import type { SubmissionEvent, SubmissionEventData, SubmissionEventType } from './events.js';

const recipient = z.object({
  address: nonEmpty,
  notify: z.array(z.enum(notifyValues)).nonempty().optional(),
  orcpt: z.string().optional(),
});

const schemas: VersionedSchemas<SubmissionEventData> = {
  accepted: [
    z.object({
      submissionId: nonEmpty,
      sender: z.string(),
      authUser: z.string().nullable(),
      recipients: z.array(recipient).nonempty(),
      envelopeId: z.string().optional(),
      ret: z.enum(returnValues).optional(),
      blobRef: nonEmpty,
      size: octets,
      digest: sha256Hex,
      messageId: z.string().optional(),
      receivedHeader: z.string().optional(),
      acceptedAt: instant,
    }),
  ],
  deliveredLocally: [z.object({ recipient: nonEmpty, mailboxId: nonEmpty, uid, at: instant })],
  relayed: [z.object({ recipient: nonEmpty, remoteHost: nonEmpty, response: z.string(), at: instant })],
  deferred: [
    z.object({
      recipient: nonEmpty,
      attempt: z.number().int().positive(),
      nextAttemptAt: instant,
      reason: z.string(),
      at: instant,
    }),
  ],
  bounced: [
    z.object({
      recipient: nonEmpty,
      status: z.string().regex(ENHANCED_STATUS),
      diagnostic: z.string(),
      at: instant,
    }),
  ],
  completed: [z.object({ at: instant })],
};

export const submissionEventTypes: readonly SubmissionEventType[] = Object.freeze(
  Object.keys(schemas) as SubmissionEventType[],
);

/** Validate stored event data and upcast it to the current schema version. */
export const decodeSubmissionEvent: (type: string, schemaVersion: number, data: unknown) => SubmissionEvent =
  createEventDecoder(schemas);
