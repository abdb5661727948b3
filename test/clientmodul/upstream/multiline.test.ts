import { describe, expect, it } from 'vitest';
import { MultilineScanner } from '../../../src/clientmodul/upstream/multiline.js';

/** Feeds `input` in pieces of `size` bytes (every split point is tried by the callers). */
function scan(mode: 'relay' | 'unstuff', input: string, size: number): { content: string; rest: string } {
  const scanner = new MultilineScanner(mode);
  let content = '';
  let rest = '';
  const bytes = Buffer.from(input, 'latin1');
  for (let at = 0; at < bytes.length; at += size) {
    const result = scanner.push(bytes.subarray(at, at + size));
    content += result.content.toString('latin1');
    if (result.rest !== null) rest += result.rest.toString('latin1');
  }
  return { content, rest };
}

const ANSWER = 'Subject: x\r\n..leading dot\r\n.\r\r\n...\r\nlast line\r\n.\r\nNEXT';

describe('MultilineScanner', () => {
  it.each([1, 2, 3, 5, 7, 64])('unstuffs and stops at the terminator, in pieces of %i bytes', (size) => {
    expect(scan('unstuff', ANSWER, size)).toEqual({
      content: 'Subject: x\r\n.leading dot\r\n\r\r\n..\r\nlast line\r\n',
      rest: 'NEXT',
    });
  });

  it.each([1, 2, 3, 64])('relays the bytes unchanged up to and including the terminator (%i)', (size) => {
    expect(scan('relay', ANSWER, size)).toEqual({
      content: 'Subject: x\r\n..leading dot\r\n.\r\r\n...\r\nlast line\r\n.\r\n',
      rest: 'NEXT',
    });
  });

  it('ends an empty answer at once', () => {
    expect(scan('unstuff', '.\r\n', 1)).toEqual({ content: '', rest: '' });
    expect(scan('relay', '.\r\n', 64)).toEqual({ content: '.\r\n', rest: '' });
  });

  it('does not take a dot inside a line or a ".." line for the end', () => {
    expect(scan('unstuff', 'a.\r\n..\r\n.\r\n', 1).content).toBe('a.\r\n.\r\n');
  });

  it('knows the terminator after a bare LF too', () => {
    expect(scan('unstuff', 'a\n.\n', 1)).toEqual({ content: 'a\n', rest: '' });
  });

  it('has no end without a terminator', () => {
    const scanner = new MultilineScanner('unstuff');
    scanner.push(Buffer.from('a\r\n.'));
    expect(scanner.done).toBe(false);
    scanner.push(Buffer.from('x\r\n'));
    expect(scanner.done).toBe(false);
    expect(scanner.push(Buffer.from('.\r\n')).rest?.length).toBe(0);
    expect(scanner.done).toBe(true);
  });
});
