import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FINAL_CRLF, PASSWORD, USER, seed } from './fixtures.js';
import type { Mailbox } from './fixtures.js';
import { MemoryHooks } from './memoryHooks.js';
import { makeTls, runPython, startServer, waitFor } from './support.js';
import type { RunningServer, TestTls } from './support.js';

/** Real client: Python's poplib over ssl with certificate verification. */
let tls: TestTls;
let running: RunningServer;
let hooks: MemoryHooks;
let main: Mailbox;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const credentials = `USER_NAME = ${JSON.stringify(USER)}\nUSER_PASS = ${JSON.stringify(PASSWORD)}`;

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

async function python(script: string): Promise<Record<string, unknown>> {
  const result = (await runPython(tls, running.port, `${credentials}\n${script}`)) as Record<string, unknown>;
  await waitFor(() => running.server.connections === 0, 5_000, 'python session to end');
  return result;
}

describe('Python poplib', () => {
  it('logs in with user/pass and gets STAT, LIST and UIDL matching the maildrop', async () => {
    const result = await python(`
p = connect()
welcome = text(p.getwelcome())
p.user(USER_NAME)
p.pass_(USER_PASS)
stat = p.stat()
resp, listing, _ = p.list()
uresp, uids, _ = p.uidl()
p.quit()
print(json.dumps({'welcome': welcome, 'stat': list(stat), 'list': [text(l) for l in listing], 'uidl': [text(u) for u in uids]}))
`);
    const sizes = main.messages.map((m) => m.body.length);
    expect(result).toEqual({
      welcome: '+OK pop3.test.kim POP3 ready',
      stat: [4, sizes.reduce((a, b) => a + b, 0)],
      list: sizes.map((size, i) => `${i + 1} ${size}`),
      uidl: main.messages.map((m, i) => `${i + 1} ${m.uidl}`),
    });
  });

  it('RETR is byte-exact for every message (poplib removes the dot-stuffing)', async () => {
    const result = await python(`
p = connect()
p.user(USER_NAME)
p.pass_(USER_PASS)
out = []
for n in range(1, 5):
    resp, lines, octets = p.retr(n)
    out.append({'resp': text(resp), 'sha': sha(lines)})
p.quit()
print(json.dumps(out))
`);
    expect(result).toEqual(
      main.messages.map((m) => ({
        resp: `+OK ${m.body.length} octets`,
        // poplib drops line ends; a message without a final CRLF gets the one the server added
        sha: sha256(
          m.body.toString() === NO_FINAL_CRLF ? Buffer.concat([m.body, Buffer.from('\r\n')]) : m.body,
        ),
      })),
    );
    expect(hooks.fetches.slice(-4).map((f) => f.uid)).toEqual(main.messages.map((m) => m.uid));
  });

  it('CAPA before and after login', async () => {
    const result = await python(`
p = connect()
before = p.capa()
p.user(USER_NAME)
p.pass_(USER_PASS)
after = p.capa()
p.quit()
print(json.dumps({'before': before, 'after': after}))
`);
    expect(result).toEqual({
      before: {
        TOP: [],
        UIDL: [],
        USER: [],
        SASL: ['PLAIN'],
        'RESP-CODES': [],
        'AUTH-RESP-CODE': [],
        PIPELINING: [],
        IMPLEMENTATION: ['KIM-Fachdienst'],
      },
      after: {
        TOP: [],
        UIDL: [],
        'RESP-CODES': [],
        'AUTH-RESP-CODE': [],
        PIPELINING: [],
        IMPLEMENTATION: ['KIM-Fachdienst'],
      },
    });
  });

  it('AUTH PLAIN via _shortcmd, initial response and continuation', async () => {
    const result = await python(`
def plain(authz):
    return base64.b64encode((authz + '\\0' + USER_NAME + '\\0' + USER_PASS).encode()).decode()
p = connect()
first = text(p._shortcmd('AUTH PLAIN ' + plain('')))
stat1 = list(p.stat())
p.quit()
p = connect()
cont = text(p._shortcmd('AUTH PLAIN'))
second = text(p._shortcmd(plain(USER_NAME)))
p.quit()
p = connect()
try:
    p._shortcmd('AUTH PLAIN ' + base64.b64encode(('\\0' + USER_NAME + '\\0wrong').encode()).decode())
    bad = 'accepted'
except poplib.error_proto as e:
    bad = text(e.args[0])
p.quit()
print(json.dumps({'first': first, 'stat': stat1, 'cont': cont, 'second': second, 'bad': bad}))
`);
    expect(result).toEqual({
      first: expect.stringMatching(/^\+OK maildrop has \d+ messages/) as unknown,
      stat: [main.messages.length, expect.any(Number) as unknown],
      cont: '+ ',
      second: expect.stringMatching(/^\+OK maildrop has/) as unknown,
      bad: '-ERR [AUTH] Authentication failed',
    });
  });

  it('a wrong password is an error_proto with the [AUTH] code', async () => {
    const result = await python(`
p = connect()
p.user(USER_NAME)
try:
    p.pass_('wrong')
    out = 'accepted'
except poplib.error_proto as e:
    out = text(e.args[0])
p.quit()
print(json.dumps(out))
`);
    expect(result).toBe('-ERR [AUTH] Authentication failed');
  });

  it('DELE + QUIT removes the message: commitDeletions got its uid, the next session sees it gone', async () => {
    const victim = main.messages[1]!;
    const result = await python(`
p = connect()
p.user(USER_NAME)
p.pass_(USER_PASS)
dele = text(p.dele(2))
quit = text(p.quit())
p = connect()
p.user(USER_NAME)
p.pass_(USER_PASS)
resp, uids, _ = p.uidl()
p.quit()
print(json.dumps({'dele': dele, 'quit': quit, 'uidl': [text(u).split(' ')[1] for u in uids]}))
`);
    expect(result).toEqual({
      dele: '+OK message 2 deleted',
      quit: '+OK pop3.test.kim POP3 signing off (3 messages left)',
      uidl: main.messages.filter((m) => m !== victim).map((m) => m.uidl),
    });
    expect(hooks.commits.map((c) => c.uids)).toEqual([[victim.uid]]);
  });
});
