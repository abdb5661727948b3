/**
 * POP3 end to end over the real Fachdienst (in this process): mail submitted with smtplib,
 * delivered by the delivery processor, retrieved with curl, poplib and a raw client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFachdienstConfig } from '../../../src/config/fachdienstConfig.js';
import { Mailbox } from '../../../src/core/aggregates.js';
import { accountIdFor, provisionAccount } from '../../../src/fachdienst/accounts/provisioning.js';
import { startFachdienst } from '../../../src/fachdienst/app.js';
import { DOMAIN, PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import {
  PY_PRELUDE,
  Pop3Raw,
  eventually,
  makeMessage,
  python,
  runProcess,
  sendMessages,
  sleep,
} from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kim-e2e-pop3-'));
let t: TestFachdienst;

const addr = (local: string) => `${local}@${DOMAIN}`;
const SENDER = addr('absender');

beforeAll(async () => {
  t = await startTestFachdienst({ data: dir });
  await t.addAccount(SENDER);
});

afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Submits with smtplib and waits until the delivery processor has put everything in mailboxes. */
async function deliver(messages: ReadonlyArray<{ to: string; data: Buffer }>): Promise<void> {
  await sendMessages(t.app.ports, t.caFile, SENDER, PASSWORD, messages);
  await delivered();
}

async function delivered(): Promise<void> {
  await eventually(
    async () => {
      await t.settle();
      if (t.app.delivery.pendingCount() !== 0) return undefined;
      const head = await t.app.store.headPosition();
      await t.settle();
      return (await t.app.store.headPosition()) === head ? true : undefined;
    },
    15_000,
    'delivery',
    20,
  );
}

/** The events of an account's mailbox stream. */
async function mailboxEvents(
  address: string,
): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const out: Array<{ type: string; data: Record<string, unknown> }> = [];
  for await (const event of t.app.store.readStream(Mailbox.streamId(accountIdFor(address))))
    out.push({ type: event.type, data: event.data });
  return out;
}

async function fetchedUids(address: string): Promise<number[]> {
  return (await mailboxEvents(address)).filter((e) => e.type === 'fetched').map((e) => Number(e.data['uid']));
}

/** What RETR must return for each delivered message: the trace header, then the submitted bytes. */
async function traceHeaders(address: string): Promise<Map<number, { trace: string; size: number }>> {
  return new Map(
    (await mailboxEvents(address))
      .filter((e) => e.type === 'received')
      .map((e) => [
        Number(e.data['uid']),
        { trace: String(e.data['traceHeader']), size: Number(e.data['size']) },
      ]),
  );
}

async function curl(user: string, path: string, ...extra: string[]) {
  const port = t.app.ports.pop3;
  const result = await runProcess('curl', [
    '--silent',
    '--show-error',
    '--cacert',
    t.caFile,
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '-u',
    `${user}:${PASSWORD}`,
    ...extra,
    `pop3s://localhost:${port}/${path}`,
  ]);
  return result;
}

/** Logs in with the raw client; waits while a just-dropped session still holds the maildrop. */
function login(address: string): Promise<Pop3Raw> {
  return Pop3Raw.loggedIn(t.app.ports.pop3, t.ca, address, PASSWORD, 3_000);
}

describe('POP3 over the real Fachdienst', () => {
  it('curl lists the maildrop and retrieves every message byte for byte', async () => {
    const alice = addr('alice');
    await t.addAccount(alice);
    const sent = [
      makeMessage(SENDER, alice, 'curl-1'),
      makeMessage(SENDER, alice, 'curl-2', ['..two dots', '.', ' .', 'x'.repeat(998)]),
    ];
    await deliver(sent.map((data) => ({ to: alice, data })));

    const traces = await traceHeaders(alice);
    expect([...traces.keys()]).toEqual([1, 2]);
    const expected = sent.map((data, i) => {
      const trace = traces.get(i + 1)!;
      expect(trace.trace).toMatch(
        new RegExp(
          `^Return-Path: <${SENDER}>\\r\\nReceived: from [^\\r\\n]+\\r\\n\\tby localhost \\(KIM Fachdienst\\) ` +
            `with ESMTPSA [^\\r\\n]+\\r\\n\\tfor <${alice}>;\\r\\n\\t[^\\r\\n]+ \\+0000\\r\\n$`,
        ),
      );
      const bytes = Buffer.concat([Buffer.from(trace.trace), data]);
      expect(bytes.length).toBe(trace.size);
      return bytes;
    });

    const list = await curl(alice, '');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.toString()).toBe(expected.map((m, i) => `${i + 1} ${m.length}\r\n`).join(''));
    for (const [i, bytes] of expected.entries()) {
      const retr = await curl(alice, String(i + 1));
      expect(retr.code, retr.stderr).toBe(0);
      expect(retr.stdout.equals(bytes), `message ${i + 1} byte for byte`).toBe(true);
    }
    // A complete RETR by curl is recorded as fetched.
    await eventually(
      async () => ((await fetchedUids(alice)).length === 2 ? true : undefined),
      3_000,
      'fetched',
    );
    expect(await fetchedUids(alice)).toEqual([1, 2]);
  });

  it('keeps UIDL values stable across sessions and across a restart of the Fachdienst', async () => {
    const bob = addr('bob');
    await t.addAccount(bob);
    await deliver(['u-1', 'u-2', 'u-3'].map((id) => ({ to: bob, data: makeMessage(SENDER, bob, id) })));

    const first = await login(bob);
    const uidls = await first.uidl();
    expect(uidls.size).toBe(3);
    expect(new Set(uidls.values()).size).toBe(3);
    for (const id of uidls.values()) expect(id).toMatch(/^[\x21-\x7e]{1,70}$/);
    expect(await first.quit()).toMatch(/^\+OK/);

    const second = await login(bob);
    expect(await second.uidl()).toEqual(uidls);
    await second.quit();
    const viaCurl = await curl(bob, '', '-X', 'UIDL');
    expect(viaCurl.stdout.toString()).toBe([...uidls].map(([n, id]) => `${n} ${id}\r\n`).join(''));

    await t.stop();
    t = await startTestFachdienst({ data: dir });
    const afterRestart = await login(bob);
    expect(await afterRestart.uidl()).toEqual(uidls);
    // Deleting the first message renumbers the rest, but their UIDLs stay.
    expect(await afterRestart.command('DELE 1')).toMatch(/^\+OK/);
    await afterRestart.quit();
    const afterDelete = await login(bob);
    expect([...(await afterDelete.uidl()).values()]).toEqual([uidls.get(2), uidls.get(3)]);
    await afterDelete.quit();
  });

  it('keeps a message marked with DELE when the connection drops without QUIT; DELE + QUIT removes it', async () => {
    const carol = addr('carol');
    await t.addAccount(carol);
    await deliver(['d-1', 'd-2'].map((id) => ({ to: carol, data: makeMessage(SENDER, carol, id) })));

    const dropped = await login(carol);
    const uidls = await dropped.uidl();
    expect(await dropped.command('DELE 1')).toMatch(/^\+OK/);
    expect(await dropped.stat()).toEqual({ count: 1, octets: expect.any(Number) as number });
    await dropped.drop();

    const kept = await login(carol);
    expect(await kept.uidl()).toEqual(uidls);
    expect(await kept.command('DELE 1')).toMatch(/^\+OK/);
    expect(await kept.quit()).toMatch(/^\+OK/);

    const next = await login(carol);
    expect([...(await next.uidl()).values()]).toEqual([uidls.get(2)]);
    await next.quit();
    const deleted = (await mailboxEvents(carol)).filter((e) => e.type === 'deleted');
    expect(deleted.map((e) => [e.data['uid'], e.data['reason']])).toEqual([[1, 'pop3']]);
  });

  it('answers a second concurrent session on the same maildrop with -ERR [IN-USE]', async () => {
    const dave = addr('dave');
    await t.addAccount(dave);
    await deliver([{ to: dave, data: makeMessage(SENDER, dave, 'in-use') }]);

    const holder = await login(dave);
    const second = await Pop3Raw.open(t.app.ports.pop3, t.ca);
    expect(await second.login(dave, PASSWORD)).toMatch(/^-ERR \[IN-USE\]/);
    // The first session is unaffected; poplib sees the same refusal.
    expect(await holder.stat()).toEqual({ count: 1, octets: expect.any(Number) as number });
    const fromPoplib = (await python(
      `${PY_PRELUDE}
p = pop()
p.user(os.environ['USER_NAME'])
try:
    p.pass_(os.environ['USER_PASS'])
    print(json.dumps({'error': None}))
except poplib.error_proto as e:
    print(json.dumps({'error': e.args[0].decode()}))
`,
      { CAFILE: t.caFile, POP3_PORT: String(t.app.ports.pop3), USER_NAME: dave, USER_PASS: PASSWORD },
    )) as { error: string | null };
    expect(fromPoplib.error).toMatch(/^-ERR \[IN-USE\]/);
    await second.drop();

    await holder.quit();
    const after = await login(dave);
    expect((await after.stat()).count).toBe(1);
    await after.quit();
  });

  it('answers the login of a locked account with -ERR [AUTH], and admits it again after unlocking', async () => {
    const erin = addr('erin');
    await t.addAccount(erin);
    await t.lockAccount(erin, true);
    const client = await Pop3Raw.open(t.app.ports.pop3, t.ca);
    expect(await client.login(erin, PASSWORD)).toMatch(/^-ERR \[AUTH\]/);
    await client.drop();
    const viaCurl = await curl(erin, '');
    expect(viaCurl.code).toBe(67); // CURLE_LOGIN_DENIED

    await t.lockAccount(erin, false);
    const again = await login(erin);
    expect((await again.stat()).count).toBe(0);
    await again.quit();
  });

  it('does not show a message that arrives during a session in that session, only in the next', async () => {
    const frank = addr('frank');
    await t.addAccount(frank);
    await deliver([{ to: frank, data: makeMessage(SENDER, frank, 'before') }]);

    const session = await login(frank);
    const stat = await session.stat();
    const uidls = await session.uidl();
    expect(stat.count).toBe(1);
    await deliver([{ to: frank, data: makeMessage(SENDER, frank, 'during') }]);
    expect(await session.stat()).toEqual(stat);
    expect(await session.uidl()).toEqual(uidls);
    expect(await session.command('RETR 2')).toMatch(/^-ERR/);
    expect(await session.quit()).toMatch(/^\+OK/);

    const next = await login(frank);
    expect((await next.stat()).count).toBe(2);
    const { status, lines } = await next.multi('RETR 2');
    expect(status).toMatch(/^\+OK/);
    expect(lines).toContain('X-Test-Id: during');
    await next.quit();
  });

  it('records fetched only after a complete RETR: not for TOP, not for an interrupted RETR', async () => {
    const gina = addr('gina');
    await t.addAccount(gina);
    const bigLines = Array.from(
      { length: 160_000 },
      (_, i) => `${String(i).padStart(8, '0')} ${'y'.repeat(70)}`,
    );
    await deliver([
      { to: gina, data: makeMessage(SENDER, gina, 'small') },
      { to: gina, data: makeMessage(SENDER, gina, 'big', bigLines) }, // ~12.6 MB
    ]);
    const sizes = [...(await traceHeaders(gina)).values()].map((m) => m.size);
    expect(sizes[1]).toBeGreaterThan(12_000_000);

    // TOP of both, then a RETR of the big one that the client abandons after the first bytes.
    const interrupted = await login(gina);
    const top = await interrupted.multi('TOP 1 0');
    expect(top.status).toMatch(/^\+OK/);
    expect((await interrupted.multi('TOP 2 3')).lines).toHaveLength(top.lines.length + 3);
    interrupted.socket.write('RETR 2\r\n');
    await interrupted.buffered(1);
    interrupted.socket.pause(); // stop reading: the server cannot finish writing
    await sleep(200);
    await interrupted.drop();

    // A complete RETR in the next session is recorded; the interrupted one and TOP are not.
    const complete = await login(gina);
    const retr = await complete.multi('RETR 1');
    expect(retr.status).toBe(`+OK ${sizes[0]} octets`);
    await eventually(async () => ((await fetchedUids(gina)).length > 0 ? true : undefined), 3_000, 'fetched');
    expect(await fetchedUids(gina)).toEqual([1]);
    await complete.quit();

    // A RETR of the big message that is read to the end is recorded too.
    const full = await login(gina);
    const big = await full.multi('RETR 2');
    expect(big.status).toBe(`+OK ${sizes[1]} octets`);
    expect(big.lines.at(-1)).toBe('END-OF-MESSAGE big');
    await full.quit();
    await eventually(
      async () => ((await fetchedUids(gina)).length === 2 ? true : undefined),
      3_000,
      'fetched',
    );
    expect(await fetchedUids(gina)).toEqual([1, 2]);
  });
});

describe('POP3 logging over the real Fachdienst', () => {
  it('logs no error for TOP or an abandoned RETR, but does log a message body missing from the blob store', async () => {
    const records: Array<{ level: number; msg: string }> = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString('utf8').split('\n'))
            if (line !== '') records.push(JSON.parse(line) as { level: number; msg: string });
          callback();
        },
      }),
    );
    const data = mkdtempSync(join(tmpdir(), 'kim-e2e-pop3-log-'));
    const config = resolveFachdienstConfig(
      { domain: DOMAIN, smtpPort: '0', pop3Port: '0', httpPort: '0', hostname: 'localhost', data },
      {},
    );
    const app = await startFachdienst(config, log);
    try {
      const henry = addr('henry');
      await provisionAccount(app.commands, {
        address: henry,
        password: PASSWORD,
        now: new Date(),
        by: 'test',
      });
      const bigLines = Array.from({ length: 100_000 }, (_, i) => `${i} ${'z'.repeat(76)}`);
      await sendMessages(app.ports, join(data, 'pki', 'ca.crt'), henry, PASSWORD, [
        { to: henry, data: makeMessage(henry, henry, 'log-big', bigLines) },
        { to: henry, data: makeMessage(henry, henry, 'log-missing') },
      ]);
      const session = await eventually(
        async () => {
          const client = await Pop3Raw.open(app.ports.pop3, app.caCertificate);
          expect(await client.login(henry, PASSWORD)).toMatch(/^\+OK/);
          if ((await client.stat()).count === 2) return client;
          await client.quit();
          return undefined;
        },
        10_000,
        'delivery',
      );
      expect((await session.multi('TOP 1 0')).status).toMatch(/^\+OK/);
      session.socket.write('RETR 1\r\n');
      await session.buffered(1);
      session.socket.pause();
      await sleep(100);
      await session.drop();
      await sleep(300);
      const errors = () => records.filter((r) => r.level >= 50).map((r) => r.msg);
      expect(errors()).toEqual([]);

      // A real failure of the message store is still reported: remove the second body's blob.
      let blobRef = '';
      for await (const event of app.store.readStream(Mailbox.streamId(accountIdFor(henry))))
        if (event.type === 'received' && event.data['uid'] === 2 && typeof event.data['blobRef'] === 'string')
          blobRef = event.data['blobRef'];
      expect(blobRef).toMatch(/^[0-9a-f]{64}$/);
      expect(await app.blobs.delete(blobRef)).toBe(true);
      const broken = await eventually(
        async () => {
          const client = await Pop3Raw.open(app.ports.pop3, app.caCertificate);
          if ((await client.login(henry, PASSWORD)).startsWith('+OK')) return client;
          await client.drop();
          return undefined;
        },
        3_000,
        'login after the drop',
      );
      await expect(broken.multi('RETR 2')).rejects.toThrow(/connection closed/);
      await eventually(() => (errors().length > 0 ? true : undefined), 3_000, 'the error log');
      expect(errors()).toContain('reading a message body failed');
    } finally {
      await app.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
