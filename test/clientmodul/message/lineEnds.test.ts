import { describe, expect, it } from 'vitest';
import { LineEndNormaliser, normaliseLineEnds } from '../../../src/clientmodul/message/lineEnds.js';

const MIXED = 'a\r\nb\nc\rd\r\r\ne\n\rf\r';
const NORMAL = 'a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\nf\r\n';

function streamed(pieces: readonly string[]): { text: string; changed: boolean } {
  const normaliser = new LineEndNormaliser();
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(...normaliser.push(Buffer.from(piece, 'latin1')));
  out.push(...normaliser.end());
  return { text: Buffer.concat(out).toString('latin1'), changed: normaliser.changed };
}

describe('LineEndNormaliser', () => {
  it('gives the same CRLF text for every way of cutting the mail in two or three', () => {
    expect(Buffer.concat(normaliseLineEnds([Buffer.from(MIXED, 'latin1')])).toString('latin1')).toBe(NORMAL);
    for (let i = 0; i <= MIXED.length; i++) {
      for (let j = i; j <= MIXED.length; j++) {
        const pieces = [MIXED.slice(0, i), MIXED.slice(i, j), MIXED.slice(j)];
        expect(streamed(pieces).text, JSON.stringify(pieces)).toBe(NORMAL);
      }
    }
  });

  it('says whether anything changed, also for a CR held back at a cut', () => {
    expect(streamed(['a\r', '\nb\r\n'])).toEqual({ text: 'a\r\nb\r\n', changed: false });
    expect(streamed(['a\r', 'b'])).toEqual({ text: 'a\r\nb', changed: true });
    expect(streamed(['a\r'])).toEqual({ text: 'a\r\n', changed: true });
  });
});
