/**
 * A minimal DER reader and writer for the few structures the Konnektor adapter handles by hand:
 * the issuer and serial of a certificate (which must be copied byte for byte, never re-encoded)
 * and the admission extension. Definite lengths and single-byte tags only, as DER requires for
 * these structures.
 */

export const TAG = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  sequence: 0x30,
} as const;

export class DerError extends Error {
  override readonly name = 'DerError';
}

/** One tag-length-value element inside `bytes`. */
export interface Tlv {
  readonly tag: number;
  /** The whole element (header and content). */
  readonly element: Buffer;
  readonly content: Buffer;
}

/** Reads the element that starts at `offset`. */
export function readTlv(bytes: Buffer, offset = 0): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) throw new DerError('truncated DER element');
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('DER length too large');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[offset + 2 + i];
      if (b === undefined) throw new DerError('truncated DER length');
      length = length * 256 + b;
    }
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('DER element runs past the end of its container');
  return {
    tag,
    element: bytes.subarray(offset, end),
    content: bytes.subarray(offset + header, end),
  };
}

/** The elements inside a constructed element's content. */
export function children(content: Buffer): Tlv[] {
  const result: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const tlv = readTlv(content, offset);
    result.push(tlv);
    offset += tlv.element.length;
  }
  return result;
}

/** Reads `bytes` as exactly one element of the given tag. */
export function expectTlv(bytes: Buffer, tag: number, what: string): Tlv {
  const tlv = readTlv(bytes);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${hex(tag)}, found 0x${hex(tlv.tag)}`);
  if (tlv.element.length !== bytes.length) throw new DerError(`${what}: trailing bytes`);
  return tlv;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one element. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

/** Encodes an OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new DerError(`invalid OID '${dotted}'`);
    return Number(arc);
  });
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined || a > 2) throw new DerError(`invalid OID '${dotted}'`);
  const bytes: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const groups = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) groups.unshift((n & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}
