import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DotStuffTransform, DotStuffer } from '../../../src/mail/pop3/dotStuff.js';
import { TopLimiter } from '../../../src/fachdienst/pop3/top.js';

function stuff(chunks: readonly string[]): string {
  const stuffer = new DotStuffer();
  const out = chunks.map((chunk) => stuffer.push(Buffer.from(chunk, 'latin1')));
  return Buffer.concat([...out, stuffer.end()]).toString('latin1');
}

function top(chunks: readonly string[], lines: number): string {
  const limiter = new TopLimiter(lines);
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    out.push(limiter.push(Buffer.from(chunk, 'latin1')));
    if (limiter.done) break;
  }
  return Buffer.concat(out).toString('latin1');
}

/** Every way of cutting `text` into two chunks, and into single bytes. */
function splits(text: string): string[][] {
  const result: string[][] = [[text], [...text]];
  for (let at = 0; at <= text.length; at++) result.push([text.slice(0, at), text.slice(at)]);
  return result;
}

describe('DotStuffer', () => {
  it('doubles a leading dot on every line and ends with .CRLF', () => {
    expect(stuff(['.a\r\n.\r\n..\r\nb.c\r\n'])).toBe('..a\r\n..\r\n...\r\nb.c\r\n.\r\n');
  });

  it('adds CRLF before the terminator only when the content does not end with CRLF', () => {
    expect(stuff(['abc'])).toBe('abc\r\n.\r\n');
    expect(stuff(['abc\r'])).toBe('abc\r\r\n.\r\n');
    expect(stuff(['abc\n'])).toBe('abc\n\r\n.\r\n');
    expect(stuff([])).toBe('.\r\n');
    expect(stuff(['', ''])).toBe('.\r\n');
    expect(stuff(['\r\n'])).toBe('\r\n.\r\n');
  });

  it('treats a bare LF as a line end, so no lenient client sees an early terminator', () => {
    expect(stuff(['a\n.\r\nb\r\n'])).toBe('a\n..\r\nb\r\n.\r\n');
  });

  it('gives the same bytes however the content is chunked', () => {
    for (const text of ['.x\r\n.\r\nab\r\n..\r\n.', 'Subject: a\r\n\r\n.\r\n', '\r\n.\r\n.', 'no crlf']) {
      const expected = stuff([text]);
      for (const chunks of splits(text)) expect(stuff(chunks)).toBe(expected);
    }
  });

  it('returns a chunk without a dot at a line start unchanged (no copy)', () => {
    const stuffer = new DotStuffer();
    const chunk = Buffer.from('line one\r\nline.two\r\n');
    expect(stuffer.push(chunk)).toBe(chunk);
  });

  it('DotStuffTransform streams the same bytes', async () => {
    const text = '.a\r\nb\r\n.\r\nc';
    const out = await buffer(
      Readable.from([...text].map((c) => Buffer.from(c))).pipe(new DotStuffTransform()),
    );
    expect(out.toString()).toBe(stuff([text]));
  });
});

describe('TopLimiter', () => {
  const message = 'A: 1\r\nB: 2\r\n\r\nb1\r\nb2\r\nb3\r\n';

  it('TOP n 0 gives the header and the blank line', () => {
    expect(top([message], 0)).toBe('A: 1\r\nB: 2\r\n\r\n');
  });

  it('TOP n k gives k body lines, or the whole body when it is shorter', () => {
    expect(top([message], 2)).toBe('A: 1\r\nB: 2\r\n\r\nb1\r\nb2\r\n');
    expect(top([message], 3)).toBe(message);
    expect(top([message], 50)).toBe(message);
    expect(top(['A: 1\r\n\r\nlast without crlf'], 5)).toBe('A: 1\r\n\r\nlast without crlf');
  });

  it('passes a message without a blank line whole; an empty first line starts the body', () => {
    expect(top(['A: 1\r\nB: 2\r\n'], 0)).toBe('A: 1\r\nB: 2\r\n');
    expect(top(['\r\nbody1\r\nbody2\r\n'], 1)).toBe('\r\nbody1\r\n');
    expect(top(['A: 1\n\nb1\nb2\n'], 1)).toBe('A: 1\n\nb1\n');
  });

  it('gives the same bytes however the message is chunked, and stops reading when done', () => {
    for (const lines of [0, 1, 2, 5]) {
      const expected = top([message], lines);
      for (const chunks of splits(message)) expect(top(chunks, lines)).toBe(expected);
    }
    const limiter = new TopLimiter(0);
    limiter.push(Buffer.from('A: 1\r\n\r\nbody'));
    expect(limiter.done).toBe(true);
    expect(limiter.push(Buffer.from('more')).length).toBe(0);
  });
});
