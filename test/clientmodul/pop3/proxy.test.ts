/**
 * The POP3 proxy in front of a real Fachdienst, driven by a raw POP3 client over TLS that sees
 * the exact bytes; the same commands sent to the Fachdienst directly give the expected answers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPop3Proxy } from '../../../src/clientmodul/pop3/proxy.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { freePort } from '../../support/fachdienst.js';
import { RawSmtp, rawTransaction, simpleMessage } from '../../fachdienst/smtp/support.js';
import { OPENED_HEADER, openThrowsOn, openWithHeader } from '../processors.js';
import { addr, clientUsername, PASSWORD, Pop3Raw, settled, startStack, unstuff } from '../support.js';
import type { Stack } from '../support.js';

const ALICE = addr('alice');
const BOB = addr('bob');
const CAROL = addr('carol');

let stack: Stack;
let bob: string;

beforeAll(async () => {
  stack = await startStack({ accounts: [ALICE, BOB, CAROL] });
  bob = clientUsername(BOB, stack.fd.app.ports.pop3, '#*#Konn_1');
  // Three messages for Bob and two for Carol, submitted to the Fachdienst directly.
  const smtp = await RawSmtp.login(stack.fd.app.ports.smtp, stack.pki.ca, ALICE, PASSWORD);
  for (const [to, subject, extra] of [
    [BOB, 'first', []],
    [BOB, 'boom', ['X-Boom: 1']],
    [BOB, 'third', []],
    [CAROL, 'keep', []],
    [CAROL, 'delete', []],
  ] as const) {
    const result = await rawTransaction(
      smtp,
      ALICE,
      [to],
      simpleMessage({ from: ALICE, to, subject, extraHeaders: extra }),
    );
    if (result.end?.code !== 250) throw new Error(`seeding failed: ${JSON.stringify(result)}`);
  }
  smtp.close();
  await settled(stack.fd);
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(() => {
  stack.incoming.handler = openWithHeader;
});

const viaProxy = (user = bob): Promise<Pop3Raw> =>
  Pop3Raw.loggedIn(stack.pop3.port, stack.pki.ca, user, PASSWORD);

/** The Fachdienst's own answers to `commands` (multi-line bodies included), for comparison. */
async function direct(address: string, commands: readonly string[]): Promise<string[]> {
  const client = await Pop3Raw.loggedIn(stack.fd.app.ports.pop3, stack.pki.ca, address, PASSWORD);
  const out: string[] = [];
  for (const line of commands) {
    const multi = /^(LIST|UIDL|CAPA|TOP \d+ \d+|RETR \d+)$/.test(line);
    if (multi) {
      const { status, body } = await client.multiBody(line);
      out.push(status, body.toString('latin1'));
    } else {
      out.push(await client.command(line));
    }
  }
  await client.command('QUIT');
  await client.closed;
  return out;
}

async function closeProxied(client: Pop3Raw): Promise<void> {
  expect(await client.command('QUIT')).toMatch(/^\+OK/);
  await client.waitClosed();
}

describe('POP3 proxy: before login (Tab_POP3_Ant_Init)', () => {
  it('greets and answers CAPA itself', async () => {
    const client = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    expect(client.greeting).toMatch(/^\+OK /);
    const capa = await client.multiBody('CAPA');
    expect(capa.status).toMatch(/^\+OK/);
    expect(capa.body.toString()).toBe(
      'TOP\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n.\r\n',
    );
    expect(await client.command('STAT')).toBe('-ERR STAT not allowed before login');
    expect(await client.command('FOO')).toBe('-ERR unknown command');
    expect(await client.command('PASS x')).toBe('-ERR USER first');
    expect(await client.command('AUTH CRAM-MD5')).toBe('-ERR unsupported authentication mechanism');
    expect(await client.command('QUIT')).toMatch(/^\+OK/);
    await client.waitClosed();
  });

  it('passes the login to the Fachdienst and its answer to the client', async () => {
    const client = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    expect(await client.command(`USER ${bob}`)).toBe('+OK send PASS');
    expect(await client.command(`PASS ${PASSWORD}`)).toMatch(/^\+OK maildrop has 3 messages \(\d+ octets\)$/);
    await closeProxied(client);
  });

  it('refuses a wrong password with -ERR [AUTH] and lets the client try again', async () => {
    const client = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    await client.command(`USER ${bob}`);
    expect(await client.command('PASS wrong')).toBe('-ERR [AUTH] Authentication failed');
    await client.command(`USER ${bob}`);
    expect(await client.command(`PASS ${PASSWORD}`)).toMatch(/^\+OK/);
    await closeProxied(client);
  });

  it('refuses a malformed username with -ERR [AUTH] and closes after the third failed login', async () => {
    const client = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    expect(await client.command(`USER ${BOB}#127.0.0.1:995`)).toMatch(
      /^-ERR \[AUTH\] username must be a KIM address or address#host:port#MandantId/,
    );
    expect(await client.command('USER not-an-address')).toMatch(/^-ERR \[AUTH\] username/);
    expect(await client.command(`AUTH PLAIN ${Buffer.from('\0x\0y').toString('base64')}`)).toMatch(
      /^-ERR \[AUTH\]/,
    );
    await client.waitClosed();
  });

  it('supports AUTH PLAIN with an initial response and as a continuation, and its cancel', async () => {
    const token = Buffer.from(`\0${bob}\0${PASSWORD}`).toString('base64');
    const first = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    expect(await first.command(`AUTH PLAIN ${token}`)).toMatch(/^\+OK maildrop has 3 messages/);
    await closeProxied(first);

    const second = await Pop3Raw.open(stack.pop3.port, stack.pki.ca);
    expect(await second.command('AUTH PLAIN')).toBe('+ ');
    expect(await second.command('*')).toBe('-ERR authentication cancelled');
    expect(await second.command('AUTH PLAIN')).toBe('+ ');
    let reply = await second.command(token);
    for (let i = 0; reply.includes('[IN-USE]') && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await second.command('AUTH PLAIN');
      reply = await second.command(token);
    }
    expect(reply).toMatch(/^\+OK maildrop has 3 messages/);
    await closeProxied(second);
  });

  it('answers -ERR [SYS/TEMP] when the Fachdienst cannot be reached', async () => {
    const proxy = await startPop3Proxy({
      port: 0,
      tls: { key: stack.pki.key, cert: stack.pki.cert },
      upstream: { host: '127.0.0.1', port: await freePort(), ca: stack.pki.ca },
      processor: stack.incoming,
      logger: silentLogger(),
    });
    try {
      const client = await Pop3Raw.open(proxy.port, stack.pki.ca);
      await client.command(`USER ${BOB}`);
      expect(await client.command(`PASS ${PASSWORD}`)).toBe(
        '-ERR [SYS/TEMP] Fachdienst not reachable, try again later',
      );
      // The Fachdienst named in the username wins over the (unreachable) default.
      await client.command(`USER ${bob}`);
      expect(await client.command(`PASS ${PASSWORD}`)).toMatch(/^\+OK maildrop has 3 messages/);
      await closeProxied(client);
    } finally {
      await proxy.close();
    }
  });
});

describe('POP3 proxy: after login', () => {
  it('passes STAT, LIST, UIDL, NOOP and errors through unchanged', async () => {
    const commands = ['STAT', 'LIST', 'LIST 2', 'UIDL', 'UIDL 3', 'NOOP', 'LIST 9', 'RETR x', 'FOO'];
    const expected = await direct(BOB, commands);
    const client = await viaProxy();
    const actual: string[] = [];
    for (const line of commands) {
      if (line === 'LIST' || line === 'UIDL') {
        const { status, body } = await client.multiBody(line);
        actual.push(status, body.toString('latin1'));
      } else {
        actual.push(await client.command(line));
      }
    }
    await closeProxied(client);
    expect(actual).toEqual(expected);
  });

  it('RETR gives the message through the message pipeline, for the login address', async () => {
    const [status, body] = await direct(BOB, ['RETR 1']);
    expect(status).toMatch(/^\+OK/);
    const original = unstuff(Buffer.from(body!, 'latin1'));
    const client = await viaProxy();
    const retr = await client.multiBody('RETR 1');
    await closeProxied(client);
    const opened = Buffer.concat([Buffer.from(OPENED_HEADER), original]);
    expect(retr.status).toBe(`+OK ${opened.length} octets`);
    expect(unstuff(retr.body).equals(opened)).toBe(true);
    // The body line ".dot at the start of a line" went out stuffed.
    expect(retr.body.toString()).toContain('\r\n..dot at the start of a line\r\n');
    const request = stack.incoming.requests.at(-1)!;
    expect(request.ownAddress).toBe(BOB);
    expect(Buffer.concat(request.message).equals(original)).toBe(true);
  });

  it('answers -ERR when the message pipeline fails, and the session goes on', async () => {
    stack.incoming.handler = openThrowsOn('X-Boom: 1');
    const client = await viaProxy();
    expect(await client.command('RETR 2')).toBe(
      '-ERR [SYS/TEMP] Message could not be processed, try again later',
    );
    expect(await client.command('NOOP')).toBe('+OK');
    const retr = await client.multiBody('RETR 3');
    expect(retr.status).toMatch(/^\+OK \d+ octets$/);
    expect(retr.body.toString()).toContain('Subject: third');
    await closeProxied(client);
  });

  it('forwards TOP n k as TOP n 0 and drops MIME-Version from the answer', async () => {
    const [, header] = await direct(BOB, ['TOP 1 0']);
    expect(header).toContain('\r\nMIME-Version: 1.0\r\n');
    const client = await viaProxy();
    const top = await client.multiBody('TOP 1 10');
    await closeProxied(client);
    expect(top.status).toMatch(/^\+OK/);
    expect(top.body.toString('latin1')).toBe(header!.replace('MIME-Version: 1.0\r\n', ''));
    expect(top.body.toString()).not.toContain('Hallo');
  });

  it('answers pipelined commands in order', async () => {
    const expected = await direct(BOB, ['STAT', 'LIST', 'UIDL', 'TOP 3 0']);
    const client = await viaProxy();
    client.write('STAT\r\nLIST\r\nUIDL\r\nRETR 3\r\nTOP 3 7\r\nRETR 2\r\nNOOP\r\nQUIT\r\n');
    expect(await client.line()).toBe(expected[0]);
    expect([await client.line(), (await client.body()).toString('latin1')]).toEqual([
      expected[1],
      expected[2],
    ]);
    expect([await client.line(), (await client.body()).toString('latin1')]).toEqual([
      expected[3],
      expected[4],
    ]);
    expect(await client.line()).toMatch(/^\+OK \d+ octets$/);
    expect((await client.body()).toString()).toContain('Subject: third');
    expect(await client.line()).toBe(expected[5]);
    expect((await client.body()).toString('latin1')).toBe(expected[6]!.replace('MIME-Version: 1.0\r\n', ''));
    expect(await client.line()).toMatch(/^\+OK \d+ octets$/);
    expect((await client.body()).toString()).toContain('Subject: boom');
    expect(await client.line()).toBe('+OK');
    expect(await client.line()).toMatch(/^\+OK/);
    await client.waitClosed();
  });

  it('deletes on QUIT only: a dropped connection deletes nothing', async () => {
    const carol = clientUsername(CAROL, stack.fd.app.ports.pop3);
    const dropped = await viaProxy(carol);
    expect(await dropped.command('DELE 2')).toMatch(/^\+OK/);
    dropped.close();
    await dropped.closed;
    expect((await direct(CAROL, ['STAT']))[0]).toMatch(/^\+OK 2 /);

    const quitting = await viaProxy(carol);
    expect(await quitting.command('DELE 2')).toMatch(/^\+OK/);
    await closeProxied(quitting);
    expect((await direct(CAROL, ['STAT']))[0]).toMatch(/^\+OK 1 /);
  });
});

describe('POP3 proxy: timeouts', () => {
  it('says -ERR timeout and closes an idle client, releasing the maildrop without deleting', async () => {
    const proxy = await startPop3Proxy({
      port: 0,
      tls: { key: stack.pki.key, cert: stack.pki.cert },
      upstream: { host: '127.0.0.1', port: stack.fd.app.ports.pop3, ca: stack.pki.ca },
      processor: stack.incoming,
      logger: silentLogger(),
      clientTimeoutMs: 300,
    });
    try {
      const client = await Pop3Raw.loggedIn(proxy.port, stack.pki.ca, bob, PASSWORD);
      expect(await client.command('DELE 1')).toMatch(/^\+OK/);
      expect(await client.line()).toBe('-ERR timeout');
      await client.waitClosed();
      expect((await direct(BOB, ['STAT']))[0]).toMatch(/^\+OK 3 /);
    } finally {
      await proxy.close();
    }
  });
});
