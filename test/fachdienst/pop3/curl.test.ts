import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOTTY, PASSWORD, SIMPLE, USER, seed } from './fixtures.js';
import type { Mailbox } from './fixtures.js';
import { MemoryHooks } from './memoryHooks.js';
import { makeTls, run, startServer, waitFor } from './support.js';
import type { ExecResult, RunningServer, TestTls } from './support.js';

/** Real client: curl's pop3s support (it logs in with SASL PLAIN since CAPA advertises it). */
let tls: TestTls;
let running: RunningServer;
let hooks: MemoryHooks;
let main: Mailbox;

beforeAll(async () => {
  tls = await makeTls();
  hooks = new MemoryHooks();
  ({ main } = seed(hooks));
  running = await startServer(hooks, tls);
});

afterAll(async () => {
  await running.server.close();
  await tls.cleanup();
});

async function curl(path: string, ...extra: string[]): Promise<ExecResult> {
  const result = await run('curl', [
    '--silent',
    '--show-error',
    '--cacert',
    tls.certPath,
    '-u',
    `${USER}:${PASSWORD}`,
    ...extra,
    `pop3s://127.0.0.1:${running.port}/${path}`,
  ]);
  await waitFor(() => running.server.connections === 0, 5_000, 'curl session to end');
  return result;
}

describe('curl pop3s', () => {
  it('lists the maildrop (LIST)', async () => {
    const result = await curl('');
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(
      main.messages.map((m, i) => `${i + 1} ${m.body.length}\r\n`).join(''),
    );
  });

  it('retrieves messages byte-exact (RETR), dot-stuffing undone by curl', async () => {
    const simple = await curl('1');
    expect(simple.code).toBe(0);
    expect(simple.stdout.equals(Buffer.from(SIMPLE))).toBe(true);
    const dotty = await curl('2');
    expect(dotty.code).toBe(0);
    expect(dotty.stdout.equals(Buffer.from(DOTTY))).toBe(true);
    expect(hooks.fetches.map((f) => f.uid)).toEqual([main.messages[0]!.uid, main.messages[1]!.uid]);
  });

  it('runs UIDL with -X', async () => {
    const result = await curl('', '-X', 'UIDL');
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(main.messages.map((m, i) => `${i + 1} ${m.uidl}\r\n`).join(''));
  });

  it("runs 'TOP 1 0' with -X: the header and the blank line", async () => {
    const result = await curl('', '-X', 'TOP 1 0');
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(`${SIMPLE.split('\r\n\r\n')[0]}\r\n\r\n`);
  });

  it('fails the login with a wrong password (curl exit 67)', async () => {
    const result = await run('curl', [
      '--silent',
      '--cacert',
      tls.certPath,
      '-u',
      `${USER}:wrong`,
      `pop3s://127.0.0.1:${running.port}/`,
    ]);
    expect(result.code).toBe(67);
    await waitFor(() => running.server.connections === 0);
  });

  it('refuses a curl limited to TLS 1.1 (which does connect to a server allowing TLS 1.0+)', async () => {
    const tls11 = (port: number): Promise<ExecResult> =>
      run('curl', [
        '--silent',
        '--cacert',
        tls.certPath,
        '--tlsv1.0',
        '--tls-max',
        '1.1',
        '--ciphers',
        'DEFAULT@SECLEVEL=0',
        '-u',
        `${USER}:${PASSWORD}`,
        `pop3s://127.0.0.1:${port}/`,
      ]);
    expect((await tls11(running.port)).code).toBe(35); // SSL connect error
    const permissive = await startServer(hooks, tls, {
      tls: { key: tls.key, cert: tls.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    try {
      expect((await tls11(permissive.port)).code).toBe(0);
    } finally {
      await permissive.server.close();
    }
  });
});
