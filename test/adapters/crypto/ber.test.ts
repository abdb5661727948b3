import { describe, expect, it } from 'vitest';
import { BerReader, decodeOid } from '../../../adapters/crypto/ber.js';
import { parseAuthEnvelopedData, verifySignedData } from '../../../adapters/crypto/index.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function formatReason(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toMatchObject({ name: 'CmsError', code: 'FORMAT' });
    return (error as Error).message;
  }
  throw new Error('expected a FORMAT error');
}

describe('BerReader on well-formed BER', () => {
  it('finds the end of nested indefinite lengths', () => {
    const input = hex('3080 3080 0201 05 0000 0400 0000 ff');
    const reader = new BerReader(input);
    const outer = reader.read(0, input.length, 0);
    expect(outer).toMatchObject({ indefinite: true, contentStart: 2, contentEnd: 11, end: 13 });
    const [inner, empty] = reader.children(outer);
    expect(inner).toMatchObject({ indefinite: true, start: 2, end: 9 });
    expect(empty).toMatchObject({ tag: 4, start: 9, end: 11 });
  });

  it('reads a constructed OCTET STRING with nested segments as views of the input', () => {
    // [0] IMPLICIT constructed, indefinite: "abc", { "de" }, "" , "f"
    const input = hex('a080 0403616263 2480 04026465 0000 0400 040166 0000');
    const reader = new BerReader(input);
    const value = reader.octetString(reader.root());
    expect(value.length).toBe(6);
    expect(value.segmentCount).toBe(4);
    const segments = [...value.segments()];
    expect(Buffer.concat(segments).toString()).toBe('abcdef');
    for (const segment of segments) expect(segment.buffer).toBe(input.buffer);
    expect(value.toBuffer().toString()).toBe('abcdef');
  });

  it('returns large segments as views and coalesces tiny ones into one copy', () => {
    const big = Buffer.alloc(2000, 0x61);
    const twoBig = Buffer.concat([
      hex('2480'),
      hex('048203e8'),
      big.subarray(0, 1000),
      hex('048203e8'),
      big.subarray(1000),
      hex('0000'),
    ]);
    const reader = new BerReader(twoBig);
    const chunks = reader.octetString(reader.root()).toChunks();
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.buffer).toBe(twoBig.buffer);

    const tiny = Buffer.concat([
      hex('2480'),
      ...Array.from({ length: 500 }, () => hex('040178')),
      hex('0000'),
    ]);
    const tinyReader = new BerReader(tiny);
    const coalesced = tinyReader.octetString(tinyReader.root()).toChunks();
    expect(coalesced).toHaveLength(1);
    expect(coalesced[0]!.toString()).toBe('x'.repeat(500));
  });

  it('decodes OBJECT IDENTIFIERs', () => {
    expect(decodeOid(hex('2a8214004c04812d'))).toBe('1.2.276.0.76.4.173');
    expect(decodeOid(hex('608648016503040201'))).toBe('2.16.840.1.101.3.4.2.1');
    expect(decodeOid(hex('8837'))).toBe('2.999');
  });
});

describe('BerReader on hostile input', () => {
  it('rejects lengths beyond the input without allocating them', () => {
    expect(formatReason(() => new BerReader(hex('3084 7fffffff 0500')).root())).toMatch(/beyond/);
    expect(formatReason(() => new BerReader(hex('3089 0102030405060708 09')).root())).toMatch(
      /length field too long/,
    );
    expect(formatReason(() => new BerReader(hex('3003 0500')).root())).toMatch(/beyond/);
    // A child may not reach beyond its parent even when the input is long enough.
    const reader = new BerReader(hex('3002 0403 616263'));
    expect(formatReason(() => reader.children(reader.read(0, 4, 0)))).toMatch(/beyond|truncated/);
  });

  it('rejects indefinite primitives, missing end-of-contents, stray end-of-contents and trailing bytes', () => {
    expect(formatReason(() => new BerReader(hex('0480 6162 0000')).root())).toMatch(/primitive/);
    expect(formatReason(() => new BerReader(hex('3080 0500')).root())).toMatch(
      /end-of-contents missing|truncated/,
    );
    const stray = new BerReader(hex('3004 0000 0500'));
    expect(formatReason(() => stray.children(stray.root()))).toMatch(/end-of-contents/);
    expect(formatReason(() => new BerReader(hex('3000 41')).root())).toMatch(/trailing/);
    expect(formatReason(() => new BerReader(hex('')).root())).toMatch(/truncated/);
  });

  it('rejects a constructed OCTET STRING holding anything but OCTET STRINGs', () => {
    const reader = new BerReader(hex('2480 0201 01 0000'));
    expect(formatReason(() => reader.octetString(reader.root()))).toMatch(/non-OCTET STRING/);
  });

  it('rejects nesting deeper than the limit, quickly and without exhausting the stack', () => {
    const deep = Buffer.alloc(2 * 200_000 + 2 * 200_000);
    for (let i = 0; i < 200_000; i++) deep.set([0x30, 0x80], 2 * i);
    expect(formatReason(() => new BerReader(deep).root())).toMatch(/too deep/);
    expect(verifySignedData(deep)).toMatchObject({ valid: false, code: 'FORMAT' });
    expect(() => parseAuthEnvelopedData(deep)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });

  it('stops after its work budget on millions of empty elements', () => {
    const count = 4_000_000;
    const flood = Buffer.alloc(2 + 2 * count + 2);
    flood.set([0x24, 0x80]);
    for (let i = 0; i < count; i++) flood.set([0x04, 0x00], 2 + 2 * i);
    expect(formatReason(() => new BerReader(flood).root())).toMatch(/too many elements/);
    // The same structure within the budget is fine.
    const fine = new BerReader(flood.subarray(0, 2 + 2 * 1000), { maxNodes: 5_000 });
    expect(formatReason(() => fine.root())).toMatch(/end-of-contents missing/);
  });

  it('limits the number of indefinite-length elements (each is remembered)', () => {
    const many = Buffer.concat([hex('3080'), Buffer.alloc(4 * 50_000, hex('30800000')), hex('0000')]);
    expect(formatReason(() => new BerReader(many).root())).toMatch(/too many indefinite-length elements/);
  });

  it('limits the number of children listed for one structure', () => {
    const set = Buffer.concat([hex('3180'), Buffer.alloc(2 * 20_000, hex('0500')), hex('0000')]);
    const reader = new BerReader(set, { maxNodes: 1_000_000 });
    expect(formatReason(() => reader.children(reader.root()))).toMatch(/too many elements in one structure/);
  });

  it('keeps memory flat on a batch of hostile messages', () => {
    const hostile = [
      hex('3084 ffffffff'),
      hex('3080 0609 2a864886f70d010702 a084 7ffffff0'),
      hex('3080 060b 2a864886f70d0109100117 a080 3080 0201 00 3184 7ffffff0'),
      Buffer.alloc(1_000_000, 0xff),
      Buffer.alloc(1_000_000, 0x00),
    ];
    const before = process.memoryUsage().arrayBuffers;
    for (let round = 0; round < 20; round++) {
      for (const input of hostile) {
        expect(verifySignedData(input).valid).toBe(false);
        expect(() => parseAuthEnvelopedData(input)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
      }
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
