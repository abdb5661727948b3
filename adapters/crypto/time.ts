/**
 * Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime } as CMS and X.509 write it:
 * UTC with seconds and `Z` (RFC 5280 §4.1.2.5, RFC 5652 §11.3), fractions tolerated in
 * GeneralizedTime. Other forms (local time, offsets, no seconds) are refused.
 */
import { TagClass, UniversalTag } from './ber.js';
import type { Tlv } from './ber.js';
import { formatError } from './errors.js';

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/;

/** The instant of a UTCTime or GeneralizedTime element with content `content`. Throws CmsError FORMAT. */
export function decodeTime(el: Tlv, content: Buffer, what: string): Date {
  if (el.tagClass !== TagClass.universal || el.constructed) throw formatError(`${what}: not a Time`);
  const text = content.toString('latin1');
  let parts: number[];
  let millisecond = 0;
  if (el.tag === UniversalTag.utcTime) {
    const match = UTC_TIME.exec(text);
    if (match === null) throw formatError(`${what}: malformed UTCTime`);
    parts = match.slice(1, 7).map(Number);
    const yy = parts[0] as number;
    // RFC 5280: YY >= 50 means 19YY, otherwise 20YY.
    parts[0] = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (el.tag === UniversalTag.generalizedTime) {
    const match = GENERALIZED_TIME.exec(text);
    if (match === null) throw formatError(`${what}: malformed GeneralizedTime`);
    parts = match.slice(1, 7).map(Number);
    millisecond = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  } else {
    throw formatError(`${what}: not a Time`);
  }
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  // Date.UTC rolls over (month 13, day 32); a real time survives the round trip unchanged.
  if (
    time.getUTCMonth() !== month - 1 ||
    time.getUTCDate() !== day ||
    time.getUTCHours() !== hour ||
    time.getUTCMinutes() !== minute ||
    time.getUTCSeconds() !== second
  ) {
    throw formatError(`${what}: not a valid date and time`);
  }
  return time;
}
