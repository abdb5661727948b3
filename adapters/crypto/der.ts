/**
 * A minimal DER writer for the parts this codec emits. Hand-written rather than asn1-schema
 * because the issuer Names must be copied byte for byte (KOM-LE-A_2115-02) and because big
 * contents are referenced, not copied: `header()` gives only the identifier and length octets.
 */

/** Identifier and definite length octets for a content of `length` bytes. */
export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}

/** A complete element from its content parts. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([header(tag, length), ...parts]);
}

export const Tag = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  /** `[n]` constructed, context-specific. */
  context: (n: number): number => 0xa0 | n,
  /** `[n]` primitive, context-specific. */
  contextPrimitive: (n: number): number => 0x80 | n,
} as const;

export const sequence = (...parts: readonly Uint8Array[]): Buffer => tlv(Tag.sequence, ...parts);

/**
 * A DER SET OF: the element encodings in ascending order, compared as octet strings with the
 * shorter padded by zero octets (X.690 §11.6), which is what Buffer.compare does.
 */
export function setOf(elements: readonly Buffer[], tag: number = Tag.set): Buffer {
  return tlv(tag, ...[...elements].sort(compareEncodings));
}

export function compareEncodings(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new Error(`bad OID ${dotted}`);
    return Number(arc);
  });
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | 0x80);
    }
    bytes.push(...groups);
  }
  return tlv(Tag.oid, Buffer.from(bytes));
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new Error('integer out of range');
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || ((bytes[0] as number) & 0x80) !== 0) bytes.unshift(0);
  return tlv(Tag.integer, Buffer.from(bytes));
}

export const NULL = Buffer.from([Tag.null, 0]);

/** UTCTime `YYMMDDHHMMSSZ`; RFC 5652 requires UTCTime for signingTime between 1950 and 2049. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new Error('UTCTime covers 1950 to 2049 only');
  const two = (n: number): string => String(n).padStart(2, '0');
  const text =
    two(year % 100) +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z';
  return tlv(Tag.utcTime, Buffer.from(text, 'latin1'));
}
