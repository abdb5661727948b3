import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Pop3Hooks } from '../../../src/fachdienst/pop3/index.js';
import {
  DOTTY,
  NO_FINAL_CRLF,
  OTHER_PASSWORD,
  OTHER_USER,
  PASSWORD,
  SIMPLE,
  UMLAUTS,
  USER,
  seed,
} from './fixtures.js';
import type { Mailbox } from './fixtures.js';
import { MemoryHooks } from './memoryHooks.js';
import { Pop3Raw } from '../../support/pop3Raw.js';
import { loginAt, makeTls, run, sleep, startServer, waitFor } from './support.js';
import type { RunningServer, TestTls } from './support.js';

const MAX_BAD = 4;

let tls: TestTls;
let running: RunningServer;
let hooks: MemoryHooks;
let main: Mailbox;
let other: Mailbox;
const clients: Pop3Raw[] = [];

/** The server keeps one hooks object; each test gets a fresh MemoryHooks behind it. */
const delegate: Pop3Hooks = {
  authenticate: (user, password, remoteAddress) => hooks.authenticate(user, password, remoteAddress),
  openMaildrop: (account, sessionId) => hooks.openMaildrop(account, sessionId),
};

async function login(user = USER, password = PASSWORD): Promise<Pop3Raw> {
  const client = await loginAt(running.port, tls, user, password);
  clients.push(client);
  return client;
}

async function open(): Promise<Pop3Raw> {
  const client = await Pop3Raw.open(running.port, tls.cert);
  clients.push(client);
  return client;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

beforeAll(async () => {
  tls = await makeTls();
  running = await startServer(delegate as MemoryHooks, tls, { maxBadCommands: MAX_BAD });
});

afterAll(async () => {
  await running.server.close();
  await tls.cleanup();
});

beforeEach(() => {
  hooks = new MemoryHooks();
  ({ main, other } = seed(hooks));
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await waitFor(() => running.server.connections === 0, 5_000, 'all sessions to end');
  // release() exactly once for every session that opened a maildrop, however it ended.
  for (const [sessionId, count] of hooks.releaseCounts())
    expect({ sessionId, count }).toEqual({ sessionId, count: 1 });
  expect(hooks.isLocked(main.account)).toBe(false);
});

describe('greeting and AUTHORIZATION', () => {
  it('greets with +OK <hostname> POP3 ready', async () => {
    const client = await Pop3Raw.open(running.port, tls.cert);
    clients.push(client);
    expect(client.greeting).toBe('+OK pop3.test.kim POP3 ready');
  });

  it('logs in with USER/PASS (password with spaces) and reports the maildrop', async () => {
    const client = await open();
    expect(await client.command(`USER ${USER}`)).toMatch(/^\+OK/);
    const total = main.messages.reduce((sum, m) => sum + m.body.length, 0);
    expect(await client.command(`PASS ${PASSWORD}`)).toBe(`+OK maildrop has 4 messages (${total} octets)`);
    expect(hooks.authCalls).toEqual([{ user: USER, remoteAddress: '127.0.0.1' }]);
  });

  it('accepts lower-case commands and bare LF line ends', async () => {
    const client = await open();
    client.write(`user ${USER}\npass ${PASSWORD}\nstat\n`);
    expect(await client.line()).toMatch(/^\+OK/);
    expect(await client.line()).toMatch(/^\+OK maildrop has 4 messages/);
    expect(await client.line()).toMatch(/^\+OK 4 \d+$/);
  });

  it('refuses transaction commands, NOOP, PASS without USER, APOP and STLS before login', async () => {
    const client = await open();
    expect(await client.command('NOOP')).toBe('-ERR NOOP not allowed now');
    expect(await client.command('STAT')).toBe('-ERR STAT not allowed now');
    expect(await client.command('PASS x')).toBe('-ERR USER first');
    expect(await client.command(`APOP ${USER} 0123456789abcdef0123456789abcdef`)).toBe(
      '-ERR APOP not supported',
    );
    expect(await client.command('STLS')).toBe('-ERR STLS not supported, the connection is already TLS');
    expect(hooks.authCalls).toEqual([]);
  });

  it('CAPA lists USER and SASL PLAIN only before login, never EXPIRE, STLS or APOP', async () => {
    const client = await open();
    const before = await client.multi('CAPA');
    expect(before.status).toMatch(/^\+OK/);
    expect(before.lines).toEqual([
      'TOP',
      'UIDL',
      'USER',
      'SASL PLAIN',
      'RESP-CODES',
      'AUTH-RESP-CODE',
      'PIPELINING',
      'IMPLEMENTATION KIM-Fachdienst',
    ]);
    await client.command(`USER ${USER}`);
    await client.command(`PASS ${PASSWORD}`);
    const after = await client.multi('CAPA');
    expect(after.lines).toEqual([
      'TOP',
      'UIDL',
      'RESP-CODES',
      'AUTH-RESP-CODE',
      'PIPELINING',
      'IMPLEMENTATION KIM-Fachdienst',
    ]);
  });

  it('AUTH PLAIN with an initial response logs in', async () => {
    const client = await open();
    expect(await client.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`)).toMatch(
      /^\+OK maildrop has 4 messages/,
    );
    expect(await client.command('STAT')).toMatch(/^\+OK 4 /);
  });

  it('AUTH PLAIN with continuation, authzid equal to authcid, lists mechanisms for bare AUTH', async () => {
    const client = await open();
    const mechanisms = await client.multi('AUTH');
    expect(mechanisms.lines).toEqual(['PLAIN']);
    expect(await client.command('auth plain')).toBe('+ ');
    expect(await client.command(b64(`${USER}\0${USER}\0${PASSWORD}`))).toMatch(/^\+OK maildrop has 4/);
  });

  it('AUTH PLAIN: "*" cancels, malformed base64 and bad structure are -ERR, other authzid fails', async () => {
    const client = await open();
    expect(await client.command('AUTH PLAIN')).toBe('+ ');
    expect(await client.command('*')).toBe('-ERR authentication cancelled');
    expect(await client.command('AUTH PLAIN !!!notbase64')).toBe('-ERR malformed AUTH PLAIN response');
    expect(await client.command(`AUTH PLAIN ${b64(`${USER}${PASSWORD}`)}`)).toBe(
      '-ERR malformed AUTH PLAIN response',
    );
    expect(await client.command('AUTH PLAIN =')).toBe('-ERR malformed AUTH PLAIN response');
    expect(await client.command(`AUTH PLAIN ${b64(`${OTHER_USER}\0${USER}\0${PASSWORD}`)}`)).toBe(
      '-ERR [AUTH] Authentication failed',
    );
    expect(await client.command('AUTH CRAM-MD5')).toBe('-ERR unsupported authentication mechanism');
    expect(hooks.authCalls).toEqual([]);
    // still usable
    expect(await client.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`)).toMatch(/^\+OK/);
  });

  it('maps auth failures to RFC 2449/3206 response codes', async () => {
    const client = await open();
    const attempt = async (): Promise<string> => {
      await client.command(`USER ${USER}`);
      return client.command(`PASS ${PASSWORD}`);
    };
    hooks.authOverride = 'locked';
    expect(await attempt()).toBe('-ERR [AUTH] Account not available');
    hooks.authOverride = 'throttled';
    expect(await attempt()).toBe('-ERR [SYS/TEMP] Too many failed logins, try later');
    const second = await open();
    hooks.authOverride = 'unavailable';
    expect(await second.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`)).toMatch(
      /^-ERR \[SYS\/TEMP\] /,
    );
    hooks.authOverride = 'throw';
    expect(await second.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`)).toMatch(
      /^-ERR \[SYS\/TEMP\] /,
    );
  });

  it('closes the connection after 3 failed authentications', async () => {
    const client = await open();
    await client.command(`USER ${USER}`);
    expect(await client.command('PASS wrong1')).toBe('-ERR [AUTH] Authentication failed');
    expect(await client.command(`AUTH PLAIN ${b64(`\0${USER}\0wrong2`)}`)).toBe(
      '-ERR [AUTH] Authentication failed',
    );
    await client.command(`USER ${USER}`);
    client.send('PASS wrong3');
    client.send(`USER ${USER}`);
    client.send(`PASS ${PASSWORD}`);
    expect(await client.rest()).toBe('-ERR [AUTH] Authentication failed\r\n');
    expect(hooks.authCalls).toHaveLength(3);
    expect(hooks.opens).toHaveLength(0);
  });

  it('answers [IN-USE] while another session holds the maildrop, and succeeds after it ends', async () => {
    const first = await login();
    const second = await open();
    await second.command(`USER ${USER}`);
    expect(await second.command(`PASS ${PASSWORD}`)).toBe(
      '-ERR [IN-USE] Maildrop is in use by another session',
    );
    expect(await second.command('STAT')).toBe('-ERR STAT not allowed now');
    await first.quit();
    await waitFor(() => !hooks.isLocked(main.account));
    await second.command(`USER ${USER}`);
    expect(await second.command(`PASS ${PASSWORD}`)).toMatch(/^\+OK maildrop has 4/);
  });

  it('maps openMaildrop failures to reply codes', async () => {
    const client = await open();
    hooks.openOverride = 'locked';
    await client.command(`USER ${USER}`);
    expect(await client.command(`PASS ${PASSWORD}`)).toBe('-ERR [SYS/PERM] Maildrop is locked');
    hooks.openOverride = 'unavailable';
    await client.command(`USER ${USER}`);
    expect(await client.command(`PASS ${PASSWORD}`)).toMatch(/^-ERR \[SYS\/TEMP\] /);
  });
});

describe('TRANSACTION', () => {
  it('STAT, LIST and UIDL report exact octet counts and unique ids', async () => {
    const client = await login();
    const sizes = main.messages.map((m) => m.body.length);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(await client.command('STAT')).toBe(`+OK 4 ${total}`);
    const list = await client.multi('LIST');
    expect(list.status).toBe(`+OK 4 messages (${total} octets)`);
    expect(list.lines).toEqual(sizes.map((size, i) => `${i + 1} ${size}`));
    expect(await client.command('LIST 2')).toBe(`+OK 2 ${sizes[1]}`);
    const uidl = await client.multi('UIDL');
    expect(uidl.lines).toEqual(main.messages.map((m, i) => `${i + 1} ${m.uidl}`));
    expect(await client.command('UIDL 3')).toBe(`+OK 3 ${main.messages[2]!.uidl}`);
    expect(await client.command('LIST 5')).toBe('-ERR no such message');
    expect(await client.command('LIST 0')).toBe('-ERR no such message');
    expect(await client.command('LIST x')).toBe('-ERR syntax error in LIST');
    expect(await client.command('NOOP')).toBe('+OK');
  });

  it('answers pipelined commands strictly in order, with each RETR complete before the next reply', async () => {
    const client = await login();
    client.write('STAT\r\nRETR 1\r\nLIST 1\r\nRETR 2\r\nUIDL 1\r\nNOOP\r\nTOP 1 0\r\nQUIT\r\n');
    expect(await client.line()).toMatch(/^\+OK 4 /);
    expect(await client.line()).toBe(`+OK ${Buffer.byteLength(SIMPLE)} octets`);
    expect((await client.body()).toString()).toBe(`${SIMPLE}.\r\n`);
    expect(await client.line()).toBe(`+OK 1 ${Buffer.byteLength(SIMPLE)}`);
    expect(await client.line()).toBe(`+OK ${Buffer.byteLength(DOTTY)} octets`);
    await client.body();
    expect(await client.line()).toBe(`+OK 1 ${main.messages[0]!.uidl}`);
    expect(await client.line()).toBe('+OK');
    expect(await client.line()).toBe('+OK top of message follows');
    await client.body();
    expect(await client.line()).toBe('+OK pop3.test.kim POP3 signing off (4 messages left)');
    await client.closed;
  });

  it('answers 200 pipelined commands sent in one write in order', async () => {
    const client = await login();
    const commands = Array.from({ length: 200 }, (_, i) => `LIST ${(i % 4) + 1}`);
    client.write(`${commands.join('\r\n')}\r\n`);
    for (let i = 0; i < 200; i++) {
      const msg = (i % 4) + 1;
      expect(await client.line()).toBe(`+OK ${msg} ${main.messages[msg - 1]!.body.length}`);
    }
  });

  // Small messages come from the store whole and go out in one write; large ones are streamed.
  describe.each(['streamed', 'whole'])('%s messages', (mode) => {
    beforeEach(() => {
      hooks.whole = mode === 'whole';
    });

    it('dot-stuffs lines starting with "." and a line that is just "."', async () => {
      const client = await login();
      expect(await client.command('RETR 2')).toBe(`+OK ${Buffer.byteLength(DOTTY)} octets`);
      const body = (await client.body()).toString();
      expect(body).toBe(
        'Subject: dots\r\n\r\n..starts with a dot\r\n..\r\n...two dots\r\nnormal line\r\n..\r\nend\r\n.\r\n',
      );
      // un-stuffing restores the original exactly
      expect(body.slice(0, -3).replace(/^\./gm, '')).toBe(DOTTY);
    });

    it('adds CRLF before the terminator when the message does not end with CRLF', async () => {
      const client = await login();
      expect(await client.command('RETR 3')).toBe(`+OK ${Buffer.byteLength(NO_FINAL_CRLF)} octets`);
      expect((await client.body()).toString()).toBe(`${NO_FINAL_CRLF}\r\n.\r\n`);
    });

    it('RETR sends 8-bit content byte-exact and records the fetch only after a complete RETR', async () => {
      const client = await login();
      expect(await client.command('RETR 4')).toBe(`+OK ${Buffer.byteLength(UMLAUTS)} octets`);
      const body = await client.body();
      expect(body.equals(Buffer.concat([Buffer.from(UMLAUTS), Buffer.from('.\r\n')]))).toBe(true);
      expect(await client.command('NOOP')).toBe('+OK');
      expect(hooks.fetches.map((f) => f.uid)).toEqual([main.messages[3]!.uid]);
    });

    it('TOP n k sends the header, the blank line and k body lines, and records no fetch', async () => {
      const client = await login();
      expect(await client.command('TOP 1 0')).toBe('+OK top of message follows');
      expect((await client.body()).toString()).toBe(`${SIMPLE.split('\r\n\r\n')[0]}\r\n\r\n.\r\n`);
      expect(await client.command('TOP 2 2')).toBe('+OK top of message follows');
      expect((await client.body()).toString()).toBe(
        'Subject: dots\r\n\r\n..starts with a dot\r\n..\r\n.\r\n',
      );
      expect(await client.command('TOP 3 99')).toBe('+OK top of message follows');
      expect((await client.body()).toString()).toBe(`${NO_FINAL_CRLF}\r\n.\r\n`);
      expect(await client.command('TOP 1')).toBe('-ERR syntax error in TOP');
      expect(await client.command('TOP 9 1')).toBe('-ERR no such message');
      expect(hooks.fetches).toEqual([]);
    });
  });

  it('DELE hides a message from STAT/LIST/UIDL/RETR/TOP, RSET restores it', async () => {
    const client = await login();
    const sizes = main.messages.map((m) => m.body.length);
    expect(await client.command('DELE 2')).toBe('+OK message 2 deleted');
    expect(await client.command('STAT')).toBe(`+OK 3 ${sizes[0]! + sizes[2]! + sizes[3]!}`);
    expect((await client.multi('LIST')).lines).toEqual([`1 ${sizes[0]}`, `3 ${sizes[2]}`, `4 ${sizes[3]}`]);
    expect((await client.multi('UIDL')).lines.map((l) => l.split(' ')[0])).toEqual(['1', '3', '4']);
    expect(await client.command('LIST 2')).toBe('-ERR message 2 already deleted');
    expect(await client.command('UIDL 2')).toBe('-ERR message 2 already deleted');
    expect(await client.command('RETR 2')).toBe('-ERR message 2 already deleted');
    expect(await client.command('TOP 2 0')).toBe('-ERR message 2 already deleted');
    expect(await client.command('DELE 2')).toBe('-ERR message 2 already deleted');
    expect(await client.command('DELE 7')).toBe('-ERR no such message');
    expect(await client.command('RSET')).toMatch(/^\+OK maildrop has 4 messages/);
    expect(await client.command('STAT')).toBe(`+OK 4 ${sizes.reduce((a, b) => a + b, 0)}`);
    expect(await client.quit()).toBe('+OK pop3.test.kim POP3 signing off (4 messages left)');
    expect(hooks.commits).toEqual([]);
    expect(hooks.messages(main.account)).toHaveLength(4);
  });

  it('DELE + QUIT commits the marked uids once, in UPDATE state, before +OK', async () => {
    const client = await login();
    await client.command('DELE 3');
    await client.command('DELE 1');
    expect(await client.quit()).toBe('+OK pop3.test.kim POP3 signing off (2 messages left)');
    expect(hooks.commits).toHaveLength(1);
    expect(hooks.commits[0]!.uids).toEqual([main.messages[0]!.uid, main.messages[2]!.uid]);
    expect(hooks.messages(main.account).map((m) => m.uid)).toEqual([
      main.messages[1]!.uid,
      main.messages[3]!.uid,
    ]);
  });

  it('commands pipelined after QUIT are not run', async () => {
    const client = await login();
    client.write('DELE 1\r\nQUIT\r\nDELE 2\r\nRETR 2\r\n');
    expect(await client.line()).toBe('+OK message 1 deleted');
    expect(await client.rest()).toBe('+OK pop3.test.kim POP3 signing off (3 messages left)\r\n');
    expect(hooks.commits.map((c) => c.uids)).toEqual([[main.messages[0]!.uid]]);
  });

  it('a client that half-closes after pipelining QUIT still gets every reply and the commit', async () => {
    const client = await login();
    client.socket.end('DELE 4\r\nQUIT\r\n');
    expect(await client.rest()).toBe(
      '+OK message 4 deleted\r\n+OK pop3.test.kim POP3 signing off (3 messages left)\r\n',
    );
    expect(hooks.commits.map((c) => c.uids)).toEqual([[main.messages[3]!.uid]]);
  });

  it('QUIT with a failing commitDeletions answers -ERR [SYS/TEMP] and deletes nothing', async () => {
    hooks.failCommit = true;
    const client = await login();
    await client.command('DELE 1');
    expect(await client.command('QUIT')).toBe('-ERR [SYS/TEMP] some deleted messages not removed');
    await client.closed;
    expect(hooks.commits).toHaveLength(1);
    expect(hooks.messages(main.account)).toHaveLength(4);
  });

  it('DELE without QUIT and a dropped connection deletes nothing; the message is there on reconnect', async () => {
    const first = await login();
    expect(await first.command('DELE 1')).toBe('+OK message 1 deleted');
    expect(await first.command('DELE 2')).toBe('+OK message 2 deleted');
    first.close();
    await waitFor(() => hooks.releases.length === 1, 5_000, 'release after drop');
    const second = await login();
    expect(await second.command('STAT')).toMatch(/^\+OK 4 /);
    expect(await second.command('UIDL 1')).toBe(`+OK 1 ${main.messages[0]!.uidl}`);
    expect(hooks.commits).toEqual([]);
  });

  it('USER, PASS and AUTH are refused in TRANSACTION', async () => {
    const client = await login();
    expect(await client.command(`USER ${OTHER_USER}`)).toBe('-ERR USER not allowed now');
    expect(await client.command(`PASS ${OTHER_PASSWORD}`)).toBe('-ERR PASS not allowed now');
    expect(await client.command('AUTH PLAIN')).toBe('-ERR AUTH not allowed now');
    expect(await client.command('STAT')).toMatch(/^\+OK 4 /);
    expect(other.messages).toHaveLength(1);
  });
});

describe('bad input and connection limits', () => {
  it('answers unknown commands with -ERR and closes after maxBadCommands', async () => {
    const client = await open();
    expect(await client.command('HELO')).toBe('-ERR unknown command');
    expect(await client.command('')).toBe('-ERR unknown command');
    expect(await client.command('RETR')).toBe('-ERR syntax error in RETR');
    client.send('FOO');
    client.send('CAPA');
    expect(await client.rest()).toBe('-ERR too many bad commands\r\n');
  });

  it('counts bad commands in TRANSACTION too and releases the maildrop when closing', async () => {
    const client = await login();
    client.write('XYZ\r\nLIST a\r\nSTAT 1\r\nUSER x\r\nNOOP\r\n');
    expect(await client.rest()).toBe(
      '-ERR unknown command\r\n-ERR syntax error in LIST\r\n-ERR syntax error in STAT\r\n-ERR too many bad commands\r\n',
    );
    await waitFor(() => hooks.releases.length === 1);
  });

  it('rejects a command line longer than 255 octets including CRLF', async () => {
    const client = await open();
    const fits = `USER ${'a'.repeat(253 - 5)}`;
    expect(Buffer.byteLength(fits)).toBe(253);
    expect(await client.command(fits)).toMatch(/^\+OK/);
    expect(await client.command(`${fits}a`)).toBe('-ERR line too long');
    client.write(`NOOP ${'x'.repeat(100_000)}\r\n`);
    expect(await client.line()).toBe('-ERR line too long');
    expect(await client.command('CAPA')).toMatch(/^\+OK/);
  });
});

describe('streams and timeouts', () => {
  it('closes the connection when the message stream fails mid-way; no fetch recorded', async () => {
    const big = Buffer.alloc(300_000, 'x\r\n'.repeat(10));
    const message = hooks.addMessage(main.account, big);
    hooks.failStream = { uid: message.uid, afterBytes: 100_000 };
    const client = await login();
    expect(await client.command('RETR 5')).toBe(`+OK ${big.length} octets`);
    const rest = await client.rest();
    expect(rest.length).toBeGreaterThanOrEqual(100_000);
    expect(rest.length).toBeLessThan(big.length);
    expect(rest.endsWith('\r\n.\r\n')).toBe(false);
    expect(hooks.fetches).toEqual([]);
    await waitFor(() => hooks.releases.length === 1);
    expect(hooks.streams.every((s) => s.destroyed)).toBe(true);
  });

  it('answers -ERR [SYS/TEMP] when the message cannot be opened, and the session goes on', async () => {
    hooks.failOpen.add(main.messages[0]!.uid);
    const client = await login();
    expect(await client.command('RETR 1')).toBe('-ERR [SYS/TEMP] message temporarily unavailable');
    expect(await client.command('TOP 1 0')).toBe('-ERR [SYS/TEMP] message temporarily unavailable');
    expect(await client.command('LIST 1')).toBe(`+OK 1 ${main.messages[0]!.body.length}`);
    expect(hooks.fetches).toEqual([]);
  });

  it('closes the connection when the stream fails before its first byte (after +OK)', async () => {
    hooks.failStream = { uid: main.messages[0]!.uid, afterBytes: 0 };
    const client = await login();
    client.send('RETR 1');
    client.send('NOOP');
    expect(await client.rest()).toBe(`+OK ${main.messages[0]!.body.length} octets\r\n`);
    expect(hooks.fetches).toEqual([]);
  });

  it('server close() ends sessions, deletes nothing and releases every maildrop', async () => {
    const separate = await startServer(hooks, tls);
    const client = await loginAt(separate.port, tls, USER, PASSWORD);
    await client.command('DELE 1');
    await separate.server.close();
    await client.closed;
    expect(separate.server.connections).toBe(0);
    expect(hooks.releases).toHaveLength(1);
    expect(hooks.commits).toEqual([]);
  });
});

describe('sessions ending while a hook runs', () => {
  it('a client that drops during openMaildrop: the maildrop is still released, once', async () => {
    hooks.openDelayMs = 200;
    const client = await open();
    client.write(`USER ${USER}\r\nPASS ${PASSWORD}\r\n`);
    await waitFor(() => hooks.authCalls.length === 1);
    client.close();
    await waitFor(() => hooks.releases.length === 1, 5_000, 'release after the late open');
    expect(hooks.events.map((e) => e.split(':')[0])).toEqual(['open', 'release']);
  });

  it('a client that drops during commitDeletions: the commit completes, then the release', async () => {
    hooks.commitDelayMs = 200;
    const client = await login();
    await client.command('DELE 1');
    client.send('QUIT');
    await waitFor(() => hooks.commits.length === 1);
    client.close();
    await waitFor(() => hooks.releases.length === 1, 5_000, 'release after the commit');
    expect(hooks.events.map((e) => e.split(':')[0])).toEqual(['open', 'commit', 'release']);
    expect(hooks.messages(main.account)).toHaveLength(3);
  });
});

describe('logging', () => {
  it('logs session id, remote address and command names, never passwords or message content', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const logged = await startServer(hooks, tls, { logger: pino({ level: 'debug' }, sink) });
    try {
      const client = await loginAt(logged.port, tls, USER, PASSWORD);
      await client.multi('RETR 1');
      await client.quit();
      const plain = b64(`\0${USER}\0${PASSWORD}`);
      const second = await Pop3Raw.open(logged.port, tls.cert);
      expect(await second.command(`AUTH PLAIN ${plain}`)).toMatch(/^\+OK/);
      await second.command('PASS should-not-be-logged');
      await second.quit();
      await waitFor(() => logged.server.connections === 0);
      const text = lines.join('');
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(plain);
      expect(text).not.toContain('should-not-be-logged');
      expect(text).not.toContain('Befund');
      expect(text).not.toContain(USER);
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const ended = records.filter((r) => r['msg'] === 'pop3 session ended');
      expect(ended).toHaveLength(2);
      expect(ended[0]).toMatchObject({
        remoteAddress: '127.0.0.1',
        end: 'quit',
        commands: { USER: 1, PASS: 1, RETR: 1, QUIT: 1 },
        messagesSent: 1,
      });
      expect(typeof ended[0]!['sessionId']).toBe('string');
      expect(records.some((r) => r['command'] === 'RETR')).toBe(true);
    } finally {
      await logged.server.close();
    }
  });
});

describe('idle autologout', () => {
  it('closes an idle session after idleTimeoutMs with -ERR autologout, deleting nothing', async () => {
    const separate = await startServer(hooks, tls, { idleTimeoutMs: 300 });
    try {
      const client = await loginAt(separate.port, tls, USER, PASSWORD);
      expect(await client.command('DELE 1')).toBe('+OK message 1 deleted');
      const started = Date.now();
      expect(await client.rest()).toBe('-ERR autologout\r\n');
      const idle = Date.now() - started;
      expect(idle).toBeGreaterThanOrEqual(250);
      expect(idle).toBeLessThan(3_000);
      await waitFor(() => hooks.releases.length === 1);
      expect(hooks.commits).toEqual([]);
      expect(hooks.messages(main.account)).toHaveLength(4);
    } finally {
      await separate.server.close();
    }
  });

  it('keeps a session alive while commands keep coming', async () => {
    const separate = await startServer(hooks, tls, { idleTimeoutMs: 300 });
    try {
      const client = await loginAt(separate.port, tls, USER, PASSWORD);
      for (let i = 0; i < 6; i++) {
        await sleep(150);
        expect(await client.command('NOOP')).toBe('+OK');
      }
      expect(await client.quit()).toMatch(/^\+OK/);
    } finally {
      await separate.server.close();
    }
  });

  it('an idle session in AUTHORIZATION is closed too', async () => {
    const separate = await startServer(hooks, tls, { idleTimeoutMs: 300 });
    try {
      const client = await Pop3Raw.open(separate.port, tls.cert);
      expect(await client.rest()).toBe('-ERR autologout\r\n');
      expect(hooks.opens).toEqual([]);
    } finally {
      await separate.server.close();
    }
  });
});

describe('TLS', () => {
  const tls11 = {
    minVersion: 'TLSv1' as const,
    maxVersion: 'TLSv1.1' as const,
    ciphers: 'DEFAULT@SECLEVEL=0',
  };

  function handshake(port: number, options: ConnectionOptions): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: tls.cert, servername: 'localhost', ...options });
      socket.once('secureConnect', () => {
        const version = socket.getProtocol() ?? 'unknown';
        socket.destroy();
        resolve(version);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        resolve(`error: ${error.code ?? error.message}`),
      );
    });
  }

  it('refuses a TLS 1.1 client by default, accepts TLS 1.2+', async () => {
    expect(await handshake(running.port, tls11)).toMatch(/^error: /);
    expect(await handshake(running.port, {})).toBe('TLSv1.3');
    expect(await handshake(running.port, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
  });

  it('openssl s_client -tls1_1 gets a protocol_version alert from the server', async () => {
    const result = await run(
      'openssl',
      ['s_client', '-tls1_1', '-connect', `127.0.0.1:${running.port}`],
      10_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('alert protocol version');
  });

  it('the TLS 1.1 client used above does connect when the server allows it (control)', async () => {
    const permissive = await startServer(hooks, tls, {
      tls: { key: tls.key, cert: tls.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    const strict = await startServer(hooks, tls, {
      tls: { key: tls.key, cert: tls.cert, ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    try {
      expect(await handshake(permissive.port, tls11)).toBe('TLSv1.1');
      expect(await handshake(strict.port, tls11)).toMatch(/^error: /);
    } finally {
      await permissive.server.close();
      await strict.server.close();
    }
  });
});
