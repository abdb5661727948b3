/**
 * A small BER reader over one Buffer, for the big outer CMS structures. It never copies: every
 * element is a pair of offsets and every value a `subarray` of the input. Hostile input is
 * bounded deliberately (kim-domain §6.4: the parser must accept BER): nesting depth, the number of
 * element headers decoded (work), and lengths, which may never reach beyond their parent.
 * Used for the small parts too (certificates, parameters): asn1js copies, stops at 16 MiB by
 * default, and loading asn1-schema costs a command-line run ~0.1 s.
 */
import { formatError } from './errors.js';

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;
export type TagClass = (typeof TagClass)[keyof typeof TagClass];

export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
} as const;

/** One element: identifier, where its content is, where it ends (after the end-of-contents for indefinite). */
export interface Tlv {
  readonly tagClass: TagClass;
  readonly constructed: boolean;
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
  readonly indefinite: boolean;
  readonly depth: number;
}

export interface BerLimits {
  /** Deepest nesting accepted. CMS needs about 12 levels; certificates a few more. */
  readonly maxDepth?: number;
  /** Element headers the reader may decode in total, all passes included. */
  readonly maxNodes?: number;
  /** Children a single constructed element may have when listed with `children()`. */
  readonly maxChildren?: number;
  /** Indefinite-length elements in the whole input; real CMS has a dozen, each costs a cache entry. */
  readonly maxIndefinite?: number;
}

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_CHILDREN = 10_000;
export const DEFAULT_MAX_INDEFINITE = 10_000;
/** The default work budget: every header has at least two bytes, so this is generous for real input. */
export function defaultMaxNodes(inputLength: number): number {
  return 10_000 + Math.floor(inputLength / 4);
}

/** No KIM message comes near 4 GiB (the maximum mail size is 700 MiB); larger input is refused. */
const MAX_INPUT = 2 ** 32 - 1;

export class BerReader {
  readonly buf: Buffer;
  private readonly maxDepth: number;
  private readonly maxChildren: number;
  private readonly maxIndefinite: number;
  private nodesLeft: number;
  /** End of content of every indefinite element already walked, so each is walked only once. */
  private readonly indefiniteEnds = new Map<number, number>();
  /**
   * For walked indefinite elements made only of primitive OCTET STRINGs (BER-segmented
   * content: 27,000 segments for a 25 MB message): their total length and number, so that
   * octetString() need not walk them again.
   */
  private readonly segmentedOctets = new Map<number, { length: number; segments: number }>();

  constructor(input: Uint8Array, limits: BerLimits = {}) {
    if (input.byteLength > MAX_INPUT) throw formatError('input too large');
    this.buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxChildren = limits.maxChildren ?? DEFAULT_MAX_CHILDREN;
    this.maxIndefinite = limits.maxIndefinite ?? DEFAULT_MAX_INDEFINITE;
    this.nodesLeft = limits.maxNodes ?? defaultMaxNodes(input.byteLength);
  }

  /**
   * The one top-level element. Trailing line ends or NUL padding (as left by MIME or file
   * tools) are tolerated; any other trailing byte is not.
   */
  root(): Tlv {
    const el = this.read(0, this.buf.length, 0);
    for (let i = el.end; i < this.buf.length; i++) {
      const b = this.buf[i];
      if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09 && b !== 0x00) {
        throw formatError('trailing data after the top-level element');
      }
    }
    return el;
  }

  /** Reads the element at `pos`, which must end before `limit`. Walks indefinite elements to find their end. */
  read(pos: number, limit: number, depth: number): Tlv {
    if (depth > this.maxDepth) throw formatError('nesting too deep');
    if (--this.nodesLeft < 0) throw formatError('too many elements');
    const buf = this.buf;
    if (pos >= limit) throw formatError('truncated: element expected');
    const first = buf[pos] as number;
    let p = pos + 1;
    const tagClass = (first >> 6) as TagClass;
    const constructed = (first & 0x20) !== 0;
    let tag = first & 0x1f;
    if (tag === 0x1f) {
      // High tag number form; CMS never needs more than a few bits, 2^28 is far beyond any use.
      tag = 0;
      for (let n = 0; ; n++) {
        if (p >= limit) throw formatError('truncated tag');
        const b = buf[p++] as number;
        if (n === 0 && b === 0x80) throw formatError('non-minimal tag');
        if (n === 4) throw formatError('tag number too large');
        tag = tag * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
    }
    if (tagClass === TagClass.universal && tag === 0) throw formatError('unexpected end-of-contents');
    if (p >= limit) throw formatError('truncated length');
    const lengthByte = buf[p++] as number;
    if (lengthByte === 0x80) {
      if (!constructed) throw formatError('indefinite length on a primitive element');
      const contentEnd = this.indefiniteContentEnd(pos, p, limit, depth);
      return {
        tagClass,
        constructed,
        tag,
        start: pos,
        contentStart: p,
        contentEnd,
        end: contentEnd + 2,
        indefinite: true,
        depth,
      };
    }
    let length = lengthByte;
    if (lengthByte > 0x80) {
      const n = lengthByte & 0x7f;
      // Four length octets already address 4 GiB; longer forms can only be hostile.
      if (n > 4) throw formatError('length field too long');
      if (p + n > limit) throw formatError('truncated length');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + (buf[p++] as number);
    }
    if (length > limit - p) throw formatError('length reaches beyond the enclosing element');
    return {
      tagClass,
      constructed,
      tag,
      start: pos,
      contentStart: p,
      contentEnd: p + length,
      end: p + length,
      indefinite: false,
      depth,
    };
  }

  private indefiniteContentEnd(start: number, contentStart: number, limit: number, depth: number): number {
    const known = this.indefiniteEnds.get(start);
    if (known !== undefined) {
      if (known + 2 > limit) throw formatError('length reaches beyond the enclosing element');
      return known;
    }
    const buf = this.buf;
    let p = contentStart;
    let octets = true;
    let length = 0;
    let segments = 0;
    for (;;) {
      if (p + 2 > limit) throw formatError('truncated: end-of-contents missing');
      if (buf[p] === 0 && buf[p + 1] === 0) break;
      const child = this.read(p, limit, depth + 1);
      octets &&=
        child.tagClass === TagClass.universal && child.tag === UniversalTag.octetString && !child.constructed;
      length += child.contentEnd - child.contentStart;
      segments++;
      p = child.end;
    }
    if (this.indefiniteEnds.size >= this.maxIndefinite) {
      throw formatError('too many indefinite-length elements');
    }
    this.indefiniteEnds.set(start, p);
    if (octets && segments > 0) this.segmentedOctets.set(start, { length, segments });
    return p;
  }

  /** The children of a constructed element, in order. For small structures only (bounded by maxChildren). */
  children(parent: Tlv): Tlv[] {
    if (!parent.constructed) throw formatError('constructed element expected');
    const result: Tlv[] = [];
    let p = parent.contentStart;
    while (p < parent.contentEnd) {
      if (result.length >= this.maxChildren) throw formatError('too many elements in one structure');
      const child = this.read(p, parent.contentEnd, parent.depth + 1);
      result.push(child);
      p = child.end;
    }
    return result;
  }

  /** The whole encoding of an element (header, content, end-of-contents), zero-copy. */
  bytes(el: Tlv): Buffer {
    return this.buf.subarray(el.start, el.end);
  }

  /** The content octets of an element, zero-copy. */
  content(el: Tlv): Buffer {
    return this.buf.subarray(el.contentStart, el.contentEnd);
  }

  /**
   * An OCTET STRING value, primitive or constructed from segments (any tag: `[0] IMPLICIT`
   * content fields use context tags). Validates the segments once; the value re-walks them on demand.
   */
  octetString(el: Tlv): OctetStringValue {
    if (!el.constructed) return new OctetStringValue(this, el, el.contentEnd - el.contentStart, 1);
    const walked = el.indefinite ? this.segmentedOctets.get(el.start) : undefined;
    if (walked !== undefined) return new OctetStringValue(this, el, walked.length, walked.segments);
    let length = 0;
    let segments = 0;
    const visit = (parent: Tlv): void => {
      let p = parent.contentStart;
      while (p < parent.contentEnd) {
        const child = this.read(p, parent.contentEnd, parent.depth + 1);
        if (child.tagClass !== TagClass.universal || child.tag !== UniversalTag.octetString) {
          throw formatError('constructed OCTET STRING holds a non-OCTET STRING segment');
        }
        if (child.constructed) visit(child);
        else {
          length += child.contentEnd - child.contentStart;
          segments++;
        }
        p = child.end;
      }
    };
    visit(el);
    return new OctetStringValue(this, el, length, segments);
  }

  /** Yields the primitive segments of a validated OCTET STRING without spending the work budget again. */
  *segments(el: Tlv): Generator<Buffer, void, undefined> {
    if (!el.constructed) {
      yield this.content(el);
      return;
    }
    // Re-reading structure that octetString() already validated: no budget, no new checks needed.
    const stack: { end: number; p: number }[] = [{ p: el.contentStart, end: el.contentEnd }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { end: number; p: number };
      if (top.p >= top.end) {
        stack.pop();
        continue;
      }
      const child = this.peek(top.p, top.end);
      top.p = child.end;
      if (child.constructed) stack.push({ p: child.contentStart, end: child.contentEnd });
      else if (child.contentEnd > child.contentStart)
        yield this.buf.subarray(child.contentStart, child.contentEnd);
    }
  }

  /**
   * Moves the primitive segments of a validated OCTET STRING together, over the headers between
   * them, to where the first one's content starts: the value becomes one view of the input.
   * Changes the input. Each segment moves to a lower or the same offset, so none is overwritten
   * before it moved. The walk is segments()' without a generator: 27,000 yields and views took
   * a short-lived process ~15 ms more.
   */
  moveTogether(el: Tlv): Buffer {
    if (!el.constructed) return this.content(el);
    const buf = this.buf;
    let start = -1;
    let offset = 0;
    const stack: { end: number; p: number }[] = [{ p: el.contentStart, end: el.contentEnd }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { end: number; p: number };
      if (top.p >= top.end) {
        stack.pop();
        continue;
      }
      const child = this.peek(top.p, top.end);
      top.p = child.end;
      if (child.constructed) stack.push({ p: child.contentStart, end: child.contentEnd });
      else {
        if (start < 0) start = child.contentStart;
        buf.copyWithin(start + offset, child.contentStart, child.contentEnd);
        offset += child.contentEnd - child.contentStart;
      }
    }
    return start < 0 ? Buffer.alloc(0) : buf.subarray(start, start + offset);
  }

  /** Header decoding without limits, for structure that was validated before. */
  private peek(
    pos: number,
    limit: number,
  ): { constructed: boolean; contentStart: number; contentEnd: number; end: number } {
    const buf = this.buf;
    const first = buf[pos] as number;
    let p = pos + 1;
    if ((first & 0x1f) === 0x1f) while (((buf[p++] as number) & 0x80) !== 0);
    const lengthByte = buf[p++] as number;
    if (lengthByte === 0x80) {
      const contentEnd = this.indefiniteEnds.get(pos);
      if (contentEnd === undefined) throw formatError('internal: indefinite element not validated');
      return { constructed: true, contentStart: p, contentEnd, end: contentEnd + 2 };
    }
    let length = lengthByte;
    if (lengthByte > 0x80) {
      const n = lengthByte & 0x7f;
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + (buf[p++] as number);
    }
    if (p + length > limit) throw formatError('internal: segment beyond its parent');
    return { constructed: (first & 0x20) !== 0, contentStart: p, contentEnd: p + length, end: p + length };
  }
}

/**
 * Average segment size below which a caller-facing chunk list is coalesced into one copy: a
 * view costs about 100 bytes of heap, so 1000-byte segments (BouncyCastle) stay views while
 * line-by-line streams (OpenSSL text mode, ~80 bytes) are copied.
 */
const MIN_AVERAGE_SEGMENT = 256;

/** The value of an OCTET STRING, possibly spread over many segments of the input. */
export class OctetStringValue {
  constructor(
    private readonly reader: BerReader,
    private readonly el: Tlv,
    /** Total number of value bytes. */
    readonly length: number,
    /** Number of primitive segments. */
    readonly segmentCount: number,
  ) {}

  segments(): Generator<Buffer, void, undefined> {
    return this.reader.segments(this.el);
  }

  /** The value made contiguous inside the input (see BerReader.moveTogether): the input changes. */
  moveTogether(): Buffer {
    return this.reader.moveTogether(this.el);
  }

  /**
   * The value as a chunk list. Zero-copy views of the input, unless the segments are so small
   * that thousands of views would cost more than one copy (line-by-line BER streams).
   */
  toChunks(): Buffer[] {
    if (this.length === 0) return [];
    if (this.segmentCount === 1 || this.length / this.segmentCount >= MIN_AVERAGE_SEGMENT) {
      return [...this.segments()];
    }
    return [this.toBuffer()];
  }

  /** The value in one Buffer: a view when it is one segment, otherwise one copy. */
  toBuffer(): Buffer {
    if (this.segmentCount <= 1) return this.segments().next().value ?? Buffer.alloc(0);
    const out = Buffer.allocUnsafeSlow(this.length);
    let offset = 0;
    for (const segment of this.segments()) {
      segment.copy(out, offset);
      offset += segment.length;
    }
    return out;
  }
}

/** Throws FORMAT unless `el` has the given class, tag and (when given) form. */
export function expectTag(
  el: Tlv,
  tagClass: TagClass,
  tag: number,
  what: string,
  constructed?: boolean,
): Tlv {
  if (
    el.tagClass !== tagClass ||
    el.tag !== tag ||
    (constructed !== undefined && el.constructed !== constructed)
  ) {
    throw formatError(`${what}: unexpected tag`);
  }
  return el;
}

export function isTag(el: Tlv | undefined, tagClass: TagClass, tag: number): el is Tlv {
  return el !== undefined && el.tagClass === tagClass && el.tag === tag;
}

/** Decodes an OBJECT IDENTIFIER's content to dotted form. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 64) throw formatError('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (value === 0 && b === 0x80) throw formatError('non-minimal OBJECT IDENTIFIER arc');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw formatError('OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(first, value - first * 40);
      } else arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) throw formatError('truncated OBJECT IDENTIFIER');
  }
  return arcs.join('.');
}

/** Reads a small non-negative INTEGER (versions, ICV lengths). */
export function decodeSmallInteger(content: Uint8Array): number {
  if (content.length === 0 || content.length > 4 || ((content[0] as number) & 0x80) !== 0) {
    throw formatError('INTEGER out of range');
  }
  let value = 0;
  for (const b of content) value = value * 256 + b;
  return value;
}
