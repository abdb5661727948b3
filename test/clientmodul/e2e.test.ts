/**
 * A mail program's view: Python smtplib submits through the SMTP proxy, the real Fachdienst
 * delivers, Python poplib retrieves through the POP3 proxy; the (test) message pipeline is
 * applied on both sides.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python, queuedId, Scratch, waitForDelivery } from '../fachdienst/smtp/support.js';
import { OPENED_HEADER, openPassThrough, passThrough, SEALED_HEADER } from './processors.js';
import { addr, clientUsername, PASSWORD, PY_POP_LOGIN, startStack, withoutTrace } from './support.js';
import type { Stack } from './support.js';

const ALICE = addr('alice');
const BOB = addr('bob');

let stack: Stack;
let scratch: Scratch;

beforeAll(async () => {
  stack = await startStack({ accounts: [ALICE, BOB] });
  scratch = new Scratch();
});

afterAll(async () => {
  await stack.stop();
  scratch.cleanup();
});

interface Sent {
  readonly login: { code: number; text: string };
  readonly data: { code: number; text: string };
  readonly sha256: string;
  readonly size: number;
}

/** smtplib with login() (it picks AUTH PLAIN), then MAIL/RCPT/DATA. */
function send(message: { file?: string; generate?: object }): Promise<Sent> {
  return python<Sent>(
    scratch,
    String.raw`
msg = open(A['file'], 'rb').read() if A.get('file') else generate(A['generate'])
s = smtplib.SMTP_SSL('localhost', A['port'], context=CTX, timeout=120)
login = reply(s.login(A['user'], A['password']))
s.mail(A['from'])
s.rcpt(A['to'])
data = reply(s.data(msg))
s.quit()
print(json.dumps({'login': login, 'data': data, 'sha256': hashlib.sha256(msg).hexdigest(), 'size': len(msg)}))
`,
    {
      ...message,
      port: stack.smtp.port,
      cafile: stack.pki.caFile,
      user: clientUsername(ALICE, stack.fd.app.ports.smtp),
      password: PASSWORD,
      from: ALICE,
      to: BOB,
    },
  );
}

/** poplib through the POP3 proxy: every message into a file, then DELE and QUIT. */
async function retrieve(): Promise<Buffer[]> {
  const result = await python<{ files: string[] }>(
    scratch,
    `${PY_POP_LOGIN}
p = pop_login(A['port'], A['user'], A['password'])
files = []
for i in range(1, p.stat()[0] + 1):
    data = b'\\r\\n'.join(p.retr(i)[1]) + b'\\r\\n'
    path = os.path.join(A['dir'], 'msg-%d-%d.eml' % (time.time_ns(), i))
    open(path, 'wb').write(data)
    files.append(path)
    p.dele(i)
p.quit()
print(json.dumps({'files': files}))
`,
    {
      port: stack.pop3.port,
      cafile: stack.pki.caFile,
      user: clientUsername(BOB, stack.fd.app.ports.pop3, '#*#Konn_1'),
      password: PASSWORD,
      dir: scratch.dir,
    },
  );
  return result.files.map((file) => readFileSync(file));
}

describe('mail program → SMTP proxy → Fachdienst → POP3 proxy → mail program', () => {
  it('delivers a message with both sides of the message pipeline applied', async () => {
    const message = [
      `From: <${ALICE}>`,
      `To: <${BOB}>`,
      'Subject: Befund',
      'Date: Sat, 28 Nov 2026 17:34:56 +0000',
      'Message-ID: <befund.1@a.kim.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Guten Tag,',
      '.eine Zeile mit Punkt',
      '',
    ].join('\r\n');
    const sent = await send({ file: scratch.write('befund.eml', message) });
    expect(sent.login.code).toBe(235);
    expect(sent.data.code).toBe(250);
    await waitForDelivery(stack.fd, queuedId(sent.data.text));

    const [received, ...more] = await retrieve();
    expect(more).toEqual([]);
    const text = received!.toString();
    expect(text.startsWith(OPENED_HEADER + 'Return-Path: <')).toBe(true);
    expect(withoutTrace(received!.subarray(OPENED_HEADER.length)).toString()).toBe(SEALED_HEADER + message);
    expect(stack.incoming.requests.at(-1)?.ownAddress).toBe(BOB);
  });

  it('carries a 10 MB message through both proxies byte-exact', async () => {
    stack.outgoing.handler = passThrough;
    stack.incoming.handler = openPassThrough;
    const size = 10 * 1024 * 1024;
    const sent = await send({ generate: { size, from: ALICE, to: BOB, subject: 'large message', seed: 7 } });
    expect(sent.data.code).toBe(250);
    expect(sent.size).toBe(size);
    await waitForDelivery(stack.fd, queuedId(sent.data.text));

    const [received] = await retrieve();
    const body = withoutTrace(received!);
    expect(body.length).toBe(size);
    expect(createHash('sha256').update(body).digest('hex')).toBe(sent.sha256);
  });
});
