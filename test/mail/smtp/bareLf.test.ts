import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { BareLfNormalizer } from '../../../src/mail/smtp/bareLf.js';

async function normalize(chunks: string[]): Promise<string> {
  const out = Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))).pipe(new BareLfNormalizer());
  return (await buffer(out)).toString('latin1');
}

describe('bare LF normalisation in DATA', () => {
  it('leaves a CRLF message byte for byte unchanged', async () => {
    expect(await normalize(['Subject: a\r\n\r\nbody\r\n'])).toBe('Subject: a\r\n\r\nbody\r\n');
  });
  it('turns every bare LF into CRLF', async () => {
    expect(await normalize(['a\nb\r\nc\n\n'])).toBe('a\r\nb\r\nc\r\n\r\n');
  });
  it('sees a CR at the end of one chunk before the LF that starts the next', async () => {
    expect(await normalize(['line one\r', '\nline two\n'])).toBe('line one\r\nline two\r\n');
  });
  it('is the same however the input is chunked', async () => {
    const input = 'x\ny\r\nz\r\r\n.\n\n\r\nend\n';
    const whole = await normalize([input]);
    for (let cut = 1; cut < input.length; cut++) {
      expect(await normalize([input.slice(0, cut), input.slice(cut)])).toBe(whole);
    }
  });
});
