import { describe, expect, it } from 'vitest';
import { Base64Decoder, maxDecodedLength } from '../../../src/clientmodul/message/base64Decoder.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function decode(chunks: readonly Buffer[]): Buffer {
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  const decoder = new Base64Decoder(Buffer.alloc(maxDecodedLength(total)));
  for (const chunk of chunks) decoder.write(chunk);
  return decoder.end();
}

describe('Base64Decoder', () => {
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 10)) % 256));
  const text = `${(data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')}\r\n`;

  it('decodes a body written into it in any pieces, without keeping them', () => {
    for (const size of [1, 77, 78, 1000, 65_536, 65_537, text.length]) {
      const chunks: Buffer[] = [];
      // One buffer refilled for every piece, as a file source does.
      const reused = Buffer.alloc(size);
      const decoder = new Base64Decoder(Buffer.alloc(maxDecodedLength(text.length)));
      for (let at = 0; at < text.length; at += size) {
        const piece = reused.subarray(0, reused.write(text.slice(at, at + size), 'latin1'));
        decoder.write(piece);
        piece.fill(0x2a); // '*': anything kept from it would be decoded wrongly or refused
        chunks.push(piece);
      }
      expect(decoder.end().equals(data), `pieces of ${size}`).toBe(true);
    }
  });

  it('switches to any line layout in the middle of a body', () => {
    const flat = data.toString('base64');
    // Regular lines first, then lines of 73 characters, then LF-only lines of 4.
    const regular = `${(flat.slice(0, 76 * 500).match(/.{76}/g) ?? []).join('\r\n')}\r\n`;
    const odd = `${(flat.slice(76 * 500, 76 * 900).match(/.{1,73}/g) ?? []).join('\r\n')}\r\n`;
    const tiny = `${(flat.slice(76 * 900).match(/.{1,4}/g) ?? []).join('\n')}\n`;
    const body = regular + odd + tiny;
    for (const size of [100, 4096, body.length]) {
      const chunks = (body.match(new RegExp(`[^]{1,${size}}`, 'g')) ?? []).map(b);
      expect(decode(chunks).equals(data), `pieces of ${size}`).toBe(true);
    }
  });

  it('refuses data after padding and characters outside the alphabet, in either mode', () => {
    expect(() => decode([b('QUJD\r\nRA==\r\n'), b('QUJD\r\n')])).toThrow(/after padding/);
    expect(() => decode([b('QUJDQ\r\nUJD\r\nRA==\r\n'), b('QQ')])).toThrow(/after padding/);
    expect(() => decode([b('QUJD\r\nQU'), b('*D\r\n')])).toThrow(/not base64/);
    expect(() => decode([b('QUJDQ\r\nUJD\r\n'), b('QU*D\r\n')])).toThrow(/not base64/);
    expect(() => decode([b('QUJDQ\r\nUJ\r\n')])).toThrow(/truncated/);
  });

  it('never writes past the buffer it was given', () => {
    const decoder = new Base64Decoder(Buffer.alloc(5));
    expect(() => decoder.write(b('QUJDREVG\r\n'))).toThrow(/output too small/);
  });
});
