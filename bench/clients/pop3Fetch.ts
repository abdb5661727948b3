import { createHash } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { WireClient } from './wire.js';

/** Fetch every message of one maildrop (RETR + DELE each, then QUIT); returns count and bytes. */
export async function fetchAll(
  port: number,
  tls: SecureContext,
  user: string,
  password: string,
  onMessage?: (sha256: string, bytes: number) => void,
): Promise<{ messages: number; bytes: number }> {
  const c = await WireClient.open(port, tls);
  let messages = 0;
  let bytes = 0;
  try {
    await expectOk(c);
    c.write(`USER ${user}\r\n`);
    await expectOk(c);
    c.write(`PASS ${password}\r\n`);
    await expectOk(c);
    c.write('STAT\r\n');
    const count = Number((await expectOk(c)).split(' ')[1]);
    for (let n = 1; n <= count; n++) {
      c.write(`RETR ${n}\r\n`);
      await expectOk(c);
      const body = await c.pop3Body();
      bytes += body.length;
      messages += 1;
      if (onMessage !== undefined) onMessage(createHash('sha256').update(body).digest('hex'), body.length);
      c.write(`DELE ${n}\r\n`);
      await expectOk(c);
    }
    c.write('QUIT\r\n');
    await expectOk(c);
  } finally {
    c.close();
  }
  return { messages, bytes };
}

async function expectOk(c: WireClient): Promise<string> {
  const line = await c.line();
  if (!line.startsWith('+OK')) throw new Error(`expected +OK, got: ${line}`);
  return line;
}
