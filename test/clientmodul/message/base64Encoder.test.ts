import { describe, expect, it } from 'vitest';
import { Base64LineEncoder } from '../../../src/clientmodul/message/base64Encoder.js';

/** The reference: RFC 2045 lines of 76 characters, each with CRLF. */
function lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).map((line) => `${line}\r\n`).join('');
}

describe('Base64LineEncoder', () => {
  // 3 blocks of 1024 lines and a bit: block boundaries, a short last line, and padding.
  const data = Buffer.from(
    Array.from({ length: 3 * 57 * 1024 + 1000 }, (_, i) => (i * 131 + (i >> 9)) % 256),
  );

  it('writes the same lines however the input is cut, block and line boundaries included', () => {
    const cutSets = [
      [],
      [1],
      [57, 58, 114],
      [57 * 1024 - 1, 57 * 1024, 57 * 1024 + 1],
      [1000, 2000, 100_000, 100_001, 2 * 57 * 1024],
    ];
    for (const cuts of cutSets) {
      const encoder = new Base64LineEncoder();
      const out: Buffer[] = [];
      const points = [0, ...cuts, data.length];
      for (let i = 1; i < points.length; i++) {
        out.push(...encoder.push(data.subarray(points[i - 1], points[i])));
        out.push(...encoder.push(Buffer.alloc(0)));
      }
      out.push(...encoder.end());
      expect(Buffer.concat(out).toString('latin1'), `cuts ${cuts.join(',')}`).toBe(lines(data));
    }
  });

  it('hands out whole blocks as soon as they are complete, and starts over after end()', () => {
    const encoder = new Base64LineEncoder();
    expect(encoder.push(data.subarray(0, 57 * 1024 - 1))).toEqual([]);
    const [block, more] = encoder.push(data.subarray(57 * 1024 - 1, 57 * 1024));
    expect(more).toBeUndefined();
    expect(block?.length).toBe(78 * 1024);
    expect(encoder.end()).toEqual([]);
    const short = Buffer.from('ab');
    expect(Buffer.concat(encoder.push(short)).length).toBe(0);
    expect(Buffer.concat(encoder.end()).toString('latin1')).toBe('YWI=\r\n');
  });
});
