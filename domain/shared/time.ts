import type { Instant } from './event.js';

/**
 * Pure date helpers. They parse and format instants given to them; none of them reads the clock.
 */

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** An ISO-8601 date-time with a zone designator that Date.parse understands. */
export function isInstant(value: string): boolean {
  return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value));
}

/** Milliseconds since the epoch; NaN when the value is not an instant. */
export function toMillis(instant: Instant): number {
  return isInstant(instant) ? Date.parse(instant) : Number.NaN;
}

/** `instant` plus `days` whole days, as a UTC ISO string. */
export function addDays(instant: Instant, days: number): Instant {
  return new Date(toMillis(instant) + days * MS_PER_DAY).toISOString();
}

/** a < b for instants (false when either is not an instant). */
export function isBefore(a: Instant, b: Instant): boolean {
  return toMillis(a) < toMillis(b);
}
