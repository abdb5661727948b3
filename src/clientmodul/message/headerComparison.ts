/**
 * KOM-LE-A_2048-01: the outer From, Sender, Reply-To, To and Cc must be those of the signed
 * inner mail. The sender copies them byte for byte; a relay may at most re-fold them, so values
 * are compared after RFC 5322 unfolding with runs of whitespace collapsed. Every occurrence
 * counts, in order: an added or dropped field is a difference too.
 */
import type { HeaderField } from './headerBlock.js';
import { fieldsNamed, fieldValue, unfold } from './headerBlock.js';

export const COMPARED_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc'] as const;

/** The names (lower case) of the compared fields that differ; empty when all agree. */
export function differingFields(outer: readonly HeaderField[], inner: readonly HeaderField[]): string[] {
  return COMPARED_FIELDS.filter((name) => {
    const a = fieldsNamed(outer, name).map(normalised);
    const b = fieldsNamed(inner, name).map(normalised);
    return a.length !== b.length || a.some((value, i) => value !== b[i]);
  });
}

function normalised(field: HeaderField): string {
  return unfold(fieldValue(field))
    .replace(/[ \t]+/g, ' ')
    .trim();
}
