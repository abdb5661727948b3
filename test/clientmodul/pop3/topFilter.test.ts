import { describe, expect, it } from 'vitest';
import { TopHeaderFilter } from '../../../src/clientmodul/pop3/topFilter.js';

function filter(input: string, size: number): string {
  const f = new TopHeaderFilter();
  let out = '';
  const bytes = Buffer.from(input, 'latin1');
  for (let at = 0; at < bytes.length; at += size)
    out += f.push(bytes.subarray(at, at + size)).toString('latin1');
  return out;
}

const TOP =
  'Received: from x\r\n\tby y\r\nMIME-Version: 1.0\r\n (folded comment)\r\nSubject: KOM-LE-Nachricht\r\n' +
  'mime-version :1.0\r\nContent-Type: application/pkcs7-mime\r\n\r\nMIME-Version: 1.0 in the body\r\n.\r\n';

describe('TopHeaderFilter', () => {
  it.each([1, 4, 1000])('drops MIME-Version fields of the header only (pieces of %i)', (size) => {
    expect(filter(TOP, size)).toBe(
      'Received: from x\r\n\tby y\r\nSubject: KOM-LE-Nachricht\r\n' +
        'Content-Type: application/pkcs7-mime\r\n\r\nMIME-Version: 1.0 in the body\r\n.\r\n',
    );
  });

  it('passes a header-only answer with its terminator', () => {
    expect(filter('Subject: a\r\nMIME-Version: 1.0\r\n.\r\n', 3)).toBe('Subject: a\r\n.\r\n');
  });
});
