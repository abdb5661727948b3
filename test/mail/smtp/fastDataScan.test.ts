import { randomInt } from 'node:crypto';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { describe, expect, it } from 'vitest';
import { useFastDataScan } from '../../../src/mail/smtp/fastDataScan.js';

type Feed = (chunk: Buffer, done: () => void) => void;
const original = (SMTPStream.prototype as unknown as { _feedDataStream: Feed })._feedDataStream;
useFastDataScan();

interface Parsed {
  message: string;
  commands: string[];
}

/**
 * Puts an SMTPStream into data mode (as smtp-server does after DATA), writes `wire` in the given
 * chunks and reports the message it emitted and the commands pipelined after the terminator.
 */
async function parse(wire: Buffer, cuts: number[], scan: 'library' | 'patched'): Promise<Parsed> {
  const stream = new SMTPStream();
  if (scan === 'library') (stream as unknown as { _feedDataStream: Feed })._feedDataStream = original;
  const commands: string[] = [];
  stream.oncommand = (line: Buffer, callback: () => void) => {
    commands.push(line.toString('latin1'));
    callback();
  };
  const data = stream.startDataMode();
  const parts: Buffer[] = [];
  data.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise<void>((resolve) =>
    data.on('end', () => {
      stream.continue();
      resolve();
    }),
  );
  let from = 0;
  for (const cut of [...cuts, wire.length]) {
    if (cut > from) stream.write(wire.subarray(from, cut));
    from = Math.max(from, cut);
  }
  const finished = new Promise<void>((resolve) => stream.end(() => resolve()));
  await ended;
  await finished;
  return { message: Buffer.concat(parts).toString('latin1'), commands };
}

/** Lines that stress the scanner: dots at line starts, lone dots, CR/LF fragments, terminator look-alikes. */
function randomBody(): string {
  const pieces = ['.', '..', '...', '.x', 'a.b', '\r', '\n', '\r\n', '\r\n.', '\r\n..', '.\r', 'text', ' '];
  let body = '';
  for (let n = randomInt(0, 40); n > 0; n--) body += pieces[randomInt(pieces.length)];
  return body;
}

/** What a client sends: dot-stuffed lines (any line starting with "."), CRLF, then the terminator. */
function onWire(body: string): string {
  const lines = body.split('\r\n').map((line) => (line.startsWith('.') ? `.${line}` : line));
  return `${lines.join('\r\n')}\r\n.\r\n`;
}

describe('the fast DATA scan', () => {
  it('parses exactly like smtp-server for random bodies cut into random chunks (3000 cases)', async () => {
    for (let n = 0; n < 3000; n++) {
      const body = randomBody();
      const wire = Buffer.from(`${onWire(body)}NOOP\r\nQUIT\r\n`, 'latin1');
      const cuts = Array.from({ length: randomInt(0, 8) }, () => randomInt(0, wire.length)).sort(
        (a, b) => a - b,
      );
      const patched = await parse(wire, cuts, 'patched');
      const context = `case ${n}: ${JSON.stringify(wire.toString('latin1'))} cut at ${cuts.join(',')}`;
      expect(patched, context).toEqual(await parse(wire, cuts, 'library'));
      // The terminator is found where the client put it (message content itself is the library's
      // business: it also unstuffs after a bare LF, so it need not equal `body` here).
      expect(patched.commands, context).toEqual(['NOOP', 'QUIT']);
    }
  });

  it('ends DATA at the terminator of a large message and keeps pipelined commands after it', async () => {
    const body = `${'x'.repeat(70)}\r\n.starts with a dot\r\n`.repeat(50_000);
    const wire = Buffer.from(`${onWire(body)}QUIT\r\n`, 'latin1');
    const cuts = Array.from({ length: 60 }, (_, i) => Math.floor(((i + 1) * wire.length) / 61));
    expect(await parse(wire, cuts, 'patched')).toEqual({ message: `${body}\r\n`, commands: ['QUIT'] });
  });
});
