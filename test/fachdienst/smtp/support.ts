/**
 * Helpers for the SMTP integration tests: real clients (Python smtplib/poplib, curl) run as
 * child processes, so they never block the event loop of the Fachdienst under test, which runs
 * in this process; a raw SMTP-over-TLS client for exact protocol checks; and readers for what
 * the Fachdienst stored.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { RecordedEvent } from '../../../adapters/eventstore/index.js';
import type { TestFachdienst } from '../../support/fachdienst.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ExecResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a program without blocking the event loop; never rejects for a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: 'buffer',
        timeout: options.timeoutMs ?? 90_000,
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`${file} failed: ${error.message}\n${stderr.toString()}`));
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr: stderr.toString() });
      },
    );
  });
}

/** A temp directory for scripts and retrieved messages, removed by `cleanup`. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'kim-smtp-test-'));
  #n = 0;

  path(name: string): string {
    this.#n += 1;
    return join(this.dir, `${this.#n}-${name}`);
  }

  write(name: string, data: string | Buffer): string {
    const path = this.path(name);
    writeFileSync(path, data);
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs a Python script with one JSON argument and parses the JSON it prints last. The script
 * gets `A` (the argument) and the helpers of `PY_PRELUDE`.
 */
export async function python<T>(scratch: Scratch, script: string, arg: unknown): Promise<T> {
  const path = scratch.write('client.py', `${PY_PRELUDE}\n${script}\n`);
  const result = await run('python3', [path, JSON.stringify(arg)], { timeoutMs: 120_000 });
  const lines = result.stdout.toString('utf8').trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (result.code !== 0 || !last.startsWith('{')) {
    throw new Error(`python exited with ${result.code}: ${result.stderr}\n${result.stdout.toString()}`);
  }
  return JSON.parse(last) as T;
}

const PY_PRELUDE = String.raw`
import base64, hashlib, json, os, poplib, random, smtplib, ssl, sys, time
A = json.loads(sys.argv[1])
CTX = ssl.create_default_context(cafile=A['cafile'])

def reply(r):
    return {'code': r[0], 'text': r[1].decode('utf-8', 'replace') if isinstance(r[1], bytes) else str(r[1])}

def generate(spec):
    """A MIME message of exactly spec['size'] bytes with a base64 body, CRLF line ends."""
    head = (
        'From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@a.kim.test>\r\n'
        'Date: Sat, 28 Nov 2026 17:34:56 +0000\r\nMIME-Version: 1.0\r\n'
        'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n'
        'Content-Transfer-Encoding: base64\r\n\r\n'
    ) % (spec['from'], spec['to'], spec['subject'], spec['subject'].replace(' ', '.'))
    head = head.encode('ascii')
    # An X-Pad header makes the size exact: it takes the 10..87 bytes the base64 lines leave.
    lines = max(1, (spec['size'] - len(head) - 10) // 78)
    pad = spec['size'] - len(head) - 78 * lines
    raw = random.Random(spec.get('seed', 1)).randbytes(57 * lines)
    b64 = base64.b64encode(raw)
    body = b'\r\n'.join(b64[i:i + 76] for i in range(0, len(b64), 76)) + b'\r\n'
    return b'X-Pad: ' + b'x' * (pad - 9) + b'\r\n' + head + body
`;

export interface SmtpStep {
  readonly step: string;
  readonly code?: number;
  readonly text?: string;
  readonly error?: string;
}

export interface SubmitResult {
  readonly steps: SmtpStep[];
  /** SHA-256 (hex) and size of the message as handed to smtplib. */
  readonly sha256: string;
  readonly size: number;
  /** Seconds from connect to the final reply. */
  readonly seconds: number;
}

export interface SubmitArgs {
  readonly port: number;
  readonly cafile: string;
  readonly user: string;
  readonly password: string;
  readonly from: string;
  readonly to: readonly string[];
  /** A message file, or a message generated by Python (see `generate`). */
  readonly file?: string;
  readonly generate?: { size: number; from: string; to: string; subject: string; seed?: number };
  readonly mailOptions?: readonly string[];
}

/** Submits one message with smtplib.SMTP_SSL; records every reply and stops at the first refusal. */
export function submitWithSmtplib(scratch: Scratch, args: SubmitArgs): Promise<SubmitResult> {
  return python<SubmitResult>(
    scratch,
    String.raw`
steps = []
msg = open(A['file'], 'rb').read() if A.get('file') else generate(A['generate'])
out = {'steps': steps, 'sha256': hashlib.sha256(msg).hexdigest(), 'size': len(msg)}
t0 = time.monotonic()
def step(name, r):
    steps.append(dict(step=name, **reply(r)))
    return r[0]
try:
    s = smtplib.SMTP_SSL('localhost', A['port'], context=CTX, timeout=120)
    step('ehlo', s.ehlo('client.a.kim.test'))
    token = base64.b64encode(('\0%s\0%s' % (A['user'], A['password'])).encode()).decode()
    ok = step('auth', s.docmd('AUTH', 'PLAIN ' + token)) == 235
    ok = ok and step('mail', s.mail(A['from'], A.get('mailOptions', []))) == 250
    if ok:
        codes = [step('rcpt', s.rcpt(r)) for r in A['to']]
        ok = any(c in (250, 251) for c in codes)
    if ok:
        try:
            step('data', s.data(msg))
        except smtplib.SMTPDataError as e:
            steps.append({'step': 'data', 'code': e.smtp_code, 'text': e.smtp_error.decode('utf-8', 'replace')})
    try:
        s.quit()
    except Exception:
        pass
except Exception as e:
    steps.append({'step': 'error', 'error': '%s: %s' % (type(e).__name__, e)})
out['seconds'] = time.monotonic() - t0
print(json.dumps(out))
`,
    args,
  );
}

export interface RetrievedMessage {
  readonly path: string;
  readonly size: number;
}

/**
 * Retrieves every message of a maildrop with Python poplib (RETR, dot-stuffing undone by poplib)
 * into files; the messages stay in the maildrop. Lines are rejoined with CRLF, which is exact
 * for messages made of CRLF lines.
 */
export async function retrieveWithPoplib(
  scratch: Scratch,
  fd: TestFachdienst,
  user: string,
  password: string,
): Promise<RetrievedMessage[]> {
  const result = await python<{ messages: RetrievedMessage[] }>(
    scratch,
    String.raw`
p = poplib.POP3_SSL('localhost', A['port'], context=CTX, timeout=120)
p.user(A['user'])
p.pass_(A['password'])
count = p.stat()[0]
messages = []
for i in range(1, count + 1):
    lines = p.retr(i)[1]
    data = b'\r\n'.join(lines) + b'\r\n'
    path = os.path.join(A['dir'], 'msg-%d.eml' % i)
    open(path, 'wb').write(data)
    messages.append({'path': path, 'size': len(data)})
p.quit()
print(json.dumps({'messages': messages}))
`,
    {
      port: fd.app.ports.pop3,
      cafile: fd.caFile,
      user,
      password,
      dir: mkdtempSync(join(scratch.dir, 'pop-')),
    },
  );
  return result.messages;
}

/** Retrieves message `n` (1-based) with curl pop3s into a file; curl undoes the dot-stuffing. */
export async function retrieveWithCurl(
  scratch: Scratch,
  fd: TestFachdienst,
  user: string,
  password: string,
  n: number,
): Promise<string> {
  const out = scratch.path(`curl-${n}.eml`);
  const result = await run('curl', [
    '--silent',
    '--show-error',
    '--cacert',
    fd.caFile,
    '--user',
    `${user}:${password}`,
    '--output',
    out,
    `pop3s://localhost:${fd.app.ports.pop3}/${n}`,
  ]);
  if (result.code !== 0) throw new Error(`curl pop3s failed (${result.code}): ${result.stderr}`);
  return out;
}

/**
 * Splits a retrieved message into the trace fields the Fachdienst prepends (`Return-Path:` and
 * one `Received:` field with its continuation lines) and the message as submitted.
 */
export function stripTrace(message: Buffer): { trace: string; body: Buffer } {
  const returnPathEnd = message.indexOf('\r\n');
  if (!message.subarray(0, 13).equals(Buffer.from('Return-Path: ')) || returnPathEnd < 0) {
    throw new Error(`no Return-Path first: ${JSON.stringify(message.subarray(0, 80).toString())}`);
  }
  let at = returnPathEnd + 2;
  if (!message.subarray(at, at + 10).equals(Buffer.from('Received: '))) {
    throw new Error(`no Received second: ${JSON.stringify(message.subarray(0, 200).toString())}`);
  }
  for (;;) {
    const end = message.indexOf('\r\n', at);
    if (end < 0) throw new Error('unterminated Received field');
    at = end + 2;
    const next = message[at];
    if (next !== 0x20 && next !== 0x09) break; // no continuation line
  }
  return { trace: message.subarray(0, at).toString('latin1'), body: message.subarray(at) };
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** The submission id from a `250 ... queued as <id>` reply text. */
export function queuedId(text: string | undefined): string {
  const match = /queued as (\S+)/.exec(text ?? '');
  if (match?.[1] === undefined) throw new Error(`no submission id in ${JSON.stringify(text)}`);
  return match[1];
}

/** All events of a submission stream. */
export async function submissionEvents(fd: TestFachdienst, id: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of fd.app.store.readStream(`submission-${id}`)) events.push(event);
  return events;
}

/** Waits until every recipient of the submission has an outcome (delivered or bounced). */
export async function waitForDelivery(fd: TestFachdienst, id: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = await submissionEvents(fd, id);
    const accepted = events.find((e) => e.type === 'accepted');
    const recipients = Array.isArray(accepted?.data['recipients']) ? accepted.data['recipients'].length : 1;
    const outcomes = events.filter((e) => e.type === 'deliveredLocally' || e.type === 'bounced');
    if (accepted !== undefined && outcomes.length >= recipients) {
      const bounced = outcomes.find((e) => e.type === 'bounced');
      if (bounced !== undefined) throw new Error(`submission ${id} bounced: ${JSON.stringify(bounced.data)}`);
      await fd.settle();
      return;
    }
    if (Date.now() > until) {
      throw new Error(`submission ${id} not delivered: ${events.map((e) => e.type).join(', ')}`);
    }
    await sleep(20);
  }
}

/** Number of submission streams in the store (each one is an accepted message). */
export async function countSubmissions(fd: TestFachdienst): Promise<number> {
  let n = 0;
  for await (const event of fd.app.store.readAll({ filter: { eventTypes: ['accepted'] } })) {
    if (event.streamId.startsWith('submission-')) n += 1;
  }
  return n;
}

/** GET over HTTPS, trusting the given CA. */
export function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', servername: 'localhost', port, path, ca, method: 'GET' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface Reply {
  readonly code: number;
  /** Enhanced status code of the last line, if any (e.g. `5.7.1`). */
  readonly enhanced: string | null;
  /** Text of the last line after code and enhanced code. */
  readonly text: string;
  readonly lines: readonly string[];
}

/** `535 5.7.8` — code and enhanced code, for assertions. */
export const status = (reply: Reply): string => `${reply.code} ${reply.enhanced ?? '-'}`;

/**
 * A raw SMTP client over implicit TLS: it writes exactly the bytes it is given and parses the
 * replies, so tests can check codes, timing and the data terminator handling precisely.
 */
export class RawSmtp {
  readonly socket: TLSSocket;
  /** performance.now() at secureConnect. */
  readonly connectedAt: number;
  readonly closed: Promise<void>;
  /** performance.now() when the first byte arrived. */
  firstByteAt: number | null = null;
  #buffer = '';
  #ended = false;
  #wake: (() => void) | null = null;

  private constructor(socket: TLSSocket, connectedAt: number) {
    this.socket = socket;
    this.connectedAt = connectedAt;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.firstByteAt ??= performance.now();
      this.#buffer += chunk;
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      });
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, ca: string, options: ConnectionOptions = {}): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', servername: 'localhost', port, ca, ...options });
      // The data listener is attached in this handler, before any application data is read,
      // so firstByteAt is the arrival time of the greeting.
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawSmtp(socket, performance.now()));
      });
      socket.once('error', reject);
    });
  }

  /** Connects, reads the greeting, EHLO, AUTH PLAIN; throws unless every step succeeds. */
  static async login(port: number, ca: string, user: string, password: string): Promise<RawSmtp> {
    const client = await RawSmtp.connect(port, ca);
    const greeting = await client.reply();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.lines.join('|')}`);
    const ehlo = await client.command('EHLO client.a.kim.test');
    if (ehlo.code !== 250) throw new Error(`EHLO ${ehlo.lines.join('|')}`);
    const auth = await client.authPlain(user, password);
    if (auth.code !== 235) throw new Error(`AUTH ${auth.lines.join('|')}`);
    return client;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  command(line: string, timeoutMs?: number): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  authPlain(user: string, password: string): Promise<Reply> {
    return this.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  }

  /** The next (possibly multi-line) reply. */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.#parse();
      if (parsed !== null) return parsed;
      if (this.#ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no reply in time; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await Promise.race([
      this.closed,
      sleep(timeoutMs).then(() => {
        throw new Error('server did not close the connection');
      }),
    ]);
  }

  close(): void {
    this.socket.destroy();
  }

  #parse(): Reply | null {
    const lines: string[] = [];
    let at = 0;
    for (;;) {
      const end = this.#buffer.indexOf('\r\n', at);
      if (end < 0) return null;
      const line = this.#buffer.slice(at, end);
      lines.push(line);
      at = end + 2;
      if (/^\d{3}(?: |$)/.test(line)) break;
      if (!/^\d{3}-/.test(line)) throw new Error(`malformed reply line ${JSON.stringify(line)}`);
    }
    this.#buffer = this.#buffer.slice(at);
    const last = lines[lines.length - 1] ?? '';
    const match = /^(\d{3})(?: (\d\.\d{1,3}\.\d{1,3})(?= |$))? ?(.*)$/.exec(last);
    return {
      code: Number(match?.[1] ?? 0),
      enhanced: match?.[2] ?? null,
      text: match?.[3] ?? '',
      lines,
    };
  }
}

/** A small CRLF message. */
export function simpleMessage(opts: {
  from: string;
  to: string;
  subject: string;
  extraHeaders?: readonly string[];
  body?: string;
}): string {
  return [
    `From: <${opts.from}>`,
    `To: <${opts.to}>`,
    `Subject: ${opts.subject}`,
    `Message-ID: <${opts.subject.replace(/\W+/g, '.')}.${Date.now()}@a.kim.test>`,
    'Date: Sat, 28 Nov 2026 17:34:56 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(opts.extraHeaders ?? []),
    '',
    opts.body ?? 'Hallo,\r\n.dot at the start of a line\r\nVielen Dank.',
    '',
  ].join('\r\n');
}

/**
 * Sends one whole transaction over a logged-in raw connection: MAIL, RCPTs, DATA, the message
 * (dot-stuffed here) and the terminator. Returns every reply in order.
 */
export async function rawTransaction(
  client: RawSmtp,
  from: string,
  to: readonly string[],
  message: string,
): Promise<{ mail: Reply; rcpt: Reply[]; data?: Reply; end?: Reply }> {
  const mail = await client.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) return { mail, rcpt: [] };
  const rcpt: Reply[] = [];
  for (const address of to) rcpt.push(await client.command(`RCPT TO:<${address}>`));
  if (!rcpt.some((r) => r.code === 250)) return { mail, rcpt };
  const data = await client.command('DATA');
  if (data.code !== 354) return { mail, rcpt, data };
  client.write(message.replace(/^\./gm, '..'));
  client.write(message.endsWith('\r\n') ? '.\r\n' : '\r\n.\r\n');
  const end = await client.reply(60_000);
  return { mail, rcpt, data, end };
}
