import { describe, expect, it } from 'vitest';
import {
  parseAddressList,
  senderAddressOf,
  withoutAddresses,
} from '../../../src/clientmodul/message/addressList.js';
import { base64Lines, decodeBase64 } from '../../../src/clientmodul/message/base64.js';
import { differingFields } from '../../../src/clientmodul/message/headerComparison.js';
import { parseHeaderFields, splitMail } from '../../../src/clientmodul/message/headerBlock.js';
import { normaliseLineEnds } from '../../../src/clientmodul/message/lineEnds.js';
import { encodedWordField } from '../../../src/clientmodul/message/mimeParts.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (chunks: readonly Buffer[]): string => Buffer.concat(chunks).toString('latin1');

describe('normaliseLineEnds', () => {
  it('turns bare LF and bare CR into CRLF, also where a chunk ends between CR and LF', () => {
    expect(str(normaliseLineEnds([b('a\r'), b('\nb\n'), b('c\r'), b('d\r')]))).toBe('a\r\nb\r\nc\r\nd\r\n');
  });

  it('passes clean chunks on without copying them', () => {
    const chunk = b('From: a\r\n\r\nbody\r\n');
    expect(normaliseLineEnds([chunk])[0]).toBe(chunk);
  });
});

describe('header block', () => {
  it('splits at the first empty line and keeps every field byte for byte, folding included', () => {
    const mail = [b('To: a@x.kim.test,\r\n\tb@x.kim.test\r\nSubj'), b('ect: x\r\n\r\nbody\r\n\r\nmore')];
    const { header, body, separated } = splitMail(mail);
    expect(separated).toBe(true);
    expect(str(body)).toBe('body\r\n\r\nmore');
    const fields = parseHeaderFields(header);
    expect(fields.map((f) => [f.name, f.raw.toString('latin1')])).toEqual([
      ['to', 'To: a@x.kim.test,\r\n\tb@x.kim.test\r\n'],
      ['subject', 'Subject: x\r\n'],
    ]);
  });

  it('refuses a header block beyond its limit', () => {
    expect(() => splitMail([b(`X-Long: ${'a'.repeat(100)}\r\n`)], 50)).toThrow(/header block longer/);
  });

  it('compares outer and inner fields after unfolding, occurrence by occurrence', () => {
    const inner = parseHeaderFields(b('From: <a@x.kim.test>\r\nTo: <b@x.kim.test>,\r\n <c@x.kim.test>\r\n'));
    const refolded = parseHeaderFields(b('From:  <a@x.kim.test>\r\nTo: <b@x.kim.test>, <c@x.kim.test>\r\n'));
    expect(differingFields(refolded, inner)).toEqual([]);
    const added = parseHeaderFields(
      b('From: <a@x.kim.test>\r\nTo: <b@x.kim.test>, <c@x.kim.test>\r\nCc: <d@y>\r\n'),
    );
    expect(differingFields(added, inner)).toEqual(['cc']);
  });
});

describe('address lists', () => {
  it('reads quoted display names with commas, comments, groups and angle addresses', () => {
    const items = parseAddressList(
      '"Meier, Dr." <meier@a.kim.test>, schulz@b.kim.test (Labor), Team: <x@c.kim.test>, y@c.kim.test;, ' +
        'undisclosed-recipients:;',
    );
    expect(items).toEqual([
      { kind: 'mailbox', mailbox: { text: '"Meier, Dr." <meier@a.kim.test>', address: 'meier@a.kim.test' } },
      { kind: 'mailbox', mailbox: { text: 'schulz@b.kim.test (Labor)', address: 'schulz@b.kim.test' } },
      {
        kind: 'group',
        display: 'Team',
        members: [
          { text: '<x@c.kim.test>', address: 'x@c.kim.test' },
          { text: 'y@c.kim.test', address: 'y@c.kim.test' },
        ],
      },
      { kind: 'group', display: 'undisclosed-recipients', members: [] },
    ]);
  });

  it('removes addresses from a field, keeps it unchanged when none goes, drops it when none is left', () => {
    const [field] = parseHeaderFields(
      b('To: "Meier, Dr." <meier@a.kim.test>,\r\n Team: <X@c.kim.test>, y@c.kim.test;\r\n'),
    );
    expect(withoutAddresses(field!, () => true)).toBe(field);
    const keepMeier = (a: string): boolean => a.toLowerCase() !== 'x@c.kim.test';
    expect(withoutAddresses(field!, keepMeier)?.raw.toString('latin1')).toBe(
      'To: "Meier, Dr." <meier@a.kim.test>,\r\n Team: y@c.kim.test;\r\n',
    );
    const [cc] = parseHeaderFields(b('Cc: a@x.kim.test\r\n'));
    expect(withoutAddresses(cc!, () => false)).toBeUndefined();
  });

  it('takes the sender from Sender, else from a From with one mailbox', () => {
    const fields = (h: string) => parseHeaderFields(b(h));
    expect(
      senderAddressOf(fields('From: <a@x.kim.test>, <b@x.kim.test>\r\nSender: <s@x.kim.test>\r\n')),
    ).toBe('s@x.kim.test');
    expect(senderAddressOf(fields('From: A <a@x.kim.test>\r\n'))).toBe('a@x.kim.test');
    expect(senderAddressOf(fields('From: <a@x.kim.test>, <b@x.kim.test>\r\n'))).toBeUndefined();
  });
});

describe('base64', () => {
  it('writes 76-character lines and reads them back across any chunking', () => {
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const lines = base64Lines([data.subarray(0, 1000), data.subarray(1000)]);
    const text = str(lines);
    expect(
      text
        .split('\r\n')
        .slice(0, -2)
        .every((line) => line.length === 76),
    ).toBe(true);
    const rechunked = [b(text.slice(0, 77)), b(text.slice(77, 5001)), b(text.slice(5001))];
    expect(decodeBase64(rechunked).equals(data)).toBe(true);
  });

  it('refuses what is not base64', () => {
    expect(() => decodeBase64([b('QUJD\r\nRA==\r\nQQ==')])).toThrow();
    expect(() => decodeBase64([b('QU*D')])).toThrow();
    expect(() => decodeBase64([b('QUJD\r\nQU*D\r\nQUJD\r\n')])).toThrow();
    expect(() => decodeBase64([b('QUJDQ\r\nUJD\r\nQU*D\r\n')])).toThrow(); // odd line lengths
    expect(() => decodeBase64([b('QUJDRA=\r\n')])).toThrow();
  });

  it('reads any line layout: odd line lengths, LF-only lines, lines split across chunks', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) % 256));
    const flat = data.toString('base64');
    for (const width of [4, 64, 73, 76, 1000]) {
      for (const eol of ['\r\n', '\n']) {
        const text = (flat.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol) + eol;
        const cuts = [0, 3, 77, 1001, 4000, text.length];
        const chunks = cuts.slice(1).map((end, i) => b(text.slice(cuts[i], end)));
        expect(decodeBase64(chunks).equals(data), `width ${width}, ${JSON.stringify(eol)}`).toBe(true);
      }
    }
  });
});

it('encodes a long UTF-8 subject in encoded words of at most 75 characters', () => {
  const field = encodedWordField(
    'Subject',
    'Die KIM-Version der empfangenen Nachricht wird nicht unterstützt',
  );
  const words = field.raw.toString('latin1').slice('Subject: '.length).trim().split(/\r\n /);
  expect(words.length).toBeGreaterThan(1);
  expect(words.every((w) => w.length <= 75 && /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/.test(w))).toBe(true);
  const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
  expect(decoded).toBe('Die KIM-Version der empfangenen Nachricht wird nicht unterstützt');
});
