import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/mail/pop3/commands.js';
import { LineReader } from '../../../src/mail/pop3/lineReader.js';
import { decodeSaslPlain } from '../../../src/mail/pop3/saslPlain.js';

describe('parseCommand', () => {
  it('parses every command, keywords case-insensitive', () => {
    expect(parseCommand('user arzt@praxis.kim.telematik')).toEqual({
      ok: true,
      command: { name: 'USER', user: 'arzt@praxis.kim.telematik' },
    });
    expect(parseCommand('Stat')).toEqual({ ok: true, command: { name: 'STAT' } });
    expect(parseCommand('LIST')).toEqual({ ok: true, command: { name: 'LIST', msg: null } });
    expect(parseCommand('list 3')).toEqual({ ok: true, command: { name: 'LIST', msg: 3 } });
    expect(parseCommand('UIDL 12')).toEqual({ ok: true, command: { name: 'UIDL', msg: 12 } });
    expect(parseCommand('RETR 1')).toEqual({ ok: true, command: { name: 'RETR', msg: 1 } });
    expect(parseCommand('DELE 2')).toEqual({ ok: true, command: { name: 'DELE', msg: 2 } });
    expect(parseCommand('TOP 1 0')).toEqual({ ok: true, command: { name: 'TOP', msg: 1, lines: 0 } });
    expect(parseCommand('AUTH')).toEqual({
      ok: true,
      command: { name: 'AUTH', mechanism: null, initialResponse: null },
    });
    expect(parseCommand('AUTH PLAIN AGEAYg==')).toEqual({
      ok: true,
      command: { name: 'AUTH', mechanism: 'PLAIN', initialResponse: 'AGEAYg==' },
    });
    for (const name of ['CAPA', 'QUIT', 'NOOP', 'RSET', 'STLS', 'APOP']) {
      expect(parseCommand(name)).toEqual({ ok: true, command: { name } });
    }
  });

  it('keeps the whole rest of the line as the PASS argument, spaces included', () => {
    expect(parseCommand('PASS  two  spaces ')).toEqual({
      ok: true,
      command: { name: 'PASS', password: ' two  spaces ' },
    });
    expect(parseCommand('PASS')).toEqual({ ok: false, error: 'syntax', name: 'PASS' });
    expect(parseCommand('PASS ')).toEqual({ ok: false, error: 'syntax', name: 'PASS' });
  });

  it('tolerates trailing blanks but not doubled separators', () => {
    expect(parseCommand('STAT ')).toEqual({ ok: true, command: { name: 'STAT' } });
    expect(parseCommand('RETR 1 ')).toEqual({ ok: true, command: { name: 'RETR', msg: 1 } });
    expect(parseCommand('TOP  1 0')).toEqual({ ok: false, error: 'syntax', name: 'TOP' });
  });

  it('reports syntax errors per command and unknown keywords', () => {
    for (const line of [
      'RETR',
      'RETR x',
      'RETR -1',
      'RETR 1 2',
      'DELE',
      'TOP 1',
      'TOP 1 x',
      'LIST 1 2',
      'STAT 1',
      'USER',
      'USER a b',
      'AUTH A B C',
      'UIDL 12345678901',
    ]) {
      expect(parseCommand(line)).toMatchObject({ ok: false, error: 'syntax' });
    }
    for (const line of ['', 'HELO', 'RETRX 1', 'XTND XMIT', ' STAT']) {
      expect(parseCommand(line)).toEqual({ ok: false, error: 'unknown' });
    }
  });
});

describe('LineReader', () => {
  it('splits on CRLF and bare LF across chunks', () => {
    const reader = new LineReader(100);
    expect(reader.push(Buffer.from('STAT\r\nLI'))).toEqual([{ text: 'STAT', octets: 4, truncated: false }]);
    expect(reader.push(Buffer.from('ST\r'))).toEqual([]);
    expect(reader.push(Buffer.from('\nNOOP\n\r\n'))).toEqual([
      { text: 'LIST', octets: 4, truncated: false },
      { text: 'NOOP', octets: 4, truncated: false },
      { text: '', octets: 0, truncated: false },
    ]);
  });

  it('keeps a bounded prefix of an over-long line and counts all its octets', () => {
    const reader = new LineReader(10);
    expect(reader.push(Buffer.from('0123456789\r\n'))).toEqual([
      { text: '0123456789', octets: 10, truncated: false },
    ]);
    reader.push(Buffer.alloc(1_000_000, 'x'));
    expect(reader.push(Buffer.from('y\r\nNOOP\r\n'))).toEqual([
      { text: 'xxxxxxxxxx', octets: 1_000_001, truncated: true },
      { text: 'NOOP', octets: 4, truncated: false },
    ]);
  });
});

describe('decodeSaslPlain', () => {
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

  it('decodes authcid and password; authzid empty or the same', () => {
    expect(decodeSaslPlain(b64('\0arzt@praxis\0pass wort'))).toEqual({
      ok: true,
      authcid: 'arzt@praxis',
      password: 'pass wort',
    });
    expect(decodeSaslPlain(b64('arzt\0arzt\0geheimnis'))).toEqual({
      ok: true,
      authcid: 'arzt',
      password: 'geheimnis',
    });
    expect(decodeSaslPlain(b64('\0müller\0grüße'))).toEqual({
      ok: true,
      authcid: 'müller',
      password: 'grüße',
    });
  });

  it('refuses another authorization identity', () => {
    expect(decodeSaslPlain(b64('admin\0arzt\0pw'))).toEqual({ ok: false, error: 'authzid' });
  });

  it('refuses malformed base64 and malformed content', () => {
    for (const response of [
      '',
      '!!!!',
      'AGEAYg',
      'AGEAYg=',
      'AGE AYg==',
      b64('a\0b'),
      b64('\0\0pw'),
      b64('\0user\0'),
      b64('a\0b\0c\0d'),
    ]) {
      expect(decodeSaslPlain(response)).toEqual({ ok: false, error: 'malformed' });
    }
    expect(decodeSaslPlain(Buffer.from([0, 0x61, 0, 0xff, 0xfe]).toString('base64'))).toEqual({
      ok: false,
      error: 'malformed',
    });
  });
});
