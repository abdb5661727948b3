/**
 * The decrypted content as a body part of an error mail when its signature did not verify
 * and no inner mail can be trusted to be one (IntegrityCheckResult 02/03/04): the entity as it
 * was decrypted, its header fields kept, a binary body (the signed-data DER) re-encoded as
 * base64 so that POP3 and mail clients carry it intact.
 */
import { base64Lines } from './base64.js';
import { transferEncodingOf } from './contentType.js';
import { makeField, parseHeaderFields, splitMail, withCrlf } from './headerBlock.js';
import type { MimePart } from './mimeParts.js';
import { transferEncodingFor } from './mimeParts.js';

const ENTITY_HEADER_LIMIT = 64 * 1024;

export function embeddedEntity(plaintext: readonly Buffer[]): MimePart {
  let split: ReturnType<typeof splitMail> | undefined;
  try {
    split = splitMail(plaintext, ENTITY_HEADER_LIMIT);
  } catch {
    split = undefined; // no MIME header block: embedded as opaque bytes below
  }
  const fields = split === undefined ? [] : parseHeaderFields(split.header).map(withCrlf);
  if (
    split === undefined ||
    !split.separated ||
    fields.length === 0 ||
    fields.some((f) => f.name === undefined)
  ) {
    return {
      fields: [
        makeField('Content-Type', 'application/octet-stream'),
        makeField('Content-Transfer-Encoding', 'base64'),
        makeField('Content-Disposition', 'attachment; filename="entschluesselt.bin"'),
      ],
      body: base64Lines(plaintext),
    };
  }
  const declared = transferEncodingOf(fields);
  if (
    declared === 'base64' ||
    declared === 'quoted-printable' ||
    transferEncodingFor(split.body) !== 'binary'
  ) {
    return { fields, body: split.body };
  }
  return {
    fields: [
      ...fields.filter((f) => f.name !== 'content-transfer-encoding'),
      makeField('Content-Transfer-Encoding', 'base64'),
    ],
    body: base64Lines(split.body),
  };
}
