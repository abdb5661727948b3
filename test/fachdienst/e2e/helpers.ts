/**
 * Shared helpers of the end-to-end tests: running real clients (python3, curl, the kim CLI) as
 * child processes without blocking the event loop, a minimal raw POP3-over-TLS client, and the
 * health endpoint.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

export const repoRoot = join(import.meta.dirname, '../../..');
const kimBin = join(repoRoot, 'src/cli/bin.ts');

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a program to its end; `input` is written to its stdin (which is then closed). */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** `kim ARGS` through tsx (no build step); `input` goes to stdin (passwords). */
export function kim(args: readonly string[], input = ''): Promise<ProcessResult> {
  return runProcess(process.execPath, ['--import', 'tsx', kimBin, ...args], {
    input,
    env: { ...process.env, KIM_LOG_LEVEL: 'warn' },
    timeoutMs: 30_000,
  });
}

/** Runs a Python script (source text) and parses the JSON it prints. */
export async function python(script: string, env: Record<string, string> = {}): Promise<unknown> {
  const result = await runProcess('python3', ['-c', script], {
    env: { ...process.env, ...env },
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`python failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout.toString('utf8')) as unknown;
}

/** A Python preamble: SMTP_SSL and POP3_SSL connections trusting CAFILE. */
export const PY_PRELUDE = `
import json, os, poplib, smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
def smtp():
    return smtplib.SMTP_SSL('127.0.0.1', int(os.environ['SMTP_PORT']), context=ctx, timeout=30)
def pop():
    return poplib.POP3_SSL('127.0.0.1', int(os.environ['POP3_PORT']), context=ctx, timeout=30)
`;

/** A message as a KIM client submits it (CRLF line ends, ends with CRLF). */
export function makeMessage(from: string, to: string, id: string, extraBody: readonly string[] = []): Buffer {
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: <${to}>`,
      `Subject: e2e ${id}`,
      `Message-ID: <${id}@e2e.test>`,
      'Date: Sat, 28 Nov 2026 12:00:00 +0000',
      `X-Test-Id: ${id}`,
      '',
      `Body of ${id}.`,
      '.a line that starts with a dot',
      ...extraBody,
      `END-OF-MESSAGE ${id}`,
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** Submits messages over SMTPS with smtplib (one connection, login as `from`). */
export async function sendMessages(
  ports: { smtp: number },
  caFile: string,
  from: string,
  password: string,
  messages: ReadonlyArray<{ to: string; data: Buffer }>,
): Promise<void> {
  const script = `${PY_PRELUDE}
spec = json.loads(sys.stdin.read())
s = smtp()
s.login(spec['from'], spec['password'])
for m in spec['messages']:
    refused = s.sendmail(spec['from'], [m['to']], bytes.fromhex(m['data']))
    assert not refused, refused
s.quit()
print(json.dumps({'ok': True}))
`;
  const input = JSON.stringify({
    from,
    password,
    messages: messages.map((m) => ({ to: m.to, data: m.data.toString('hex') })),
  });
  const result = await runProcess('python3', ['-c', script], {
    input,
    env: { ...process.env, CAFILE: caFile, SMTP_PORT: String(ports.smtp) },
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`smtplib failed (${result.code}): ${result.stderr}`);
}

export interface Health {
  status: string;
  eventStore: { head: string | null };
  projections: Record<string, string | null>;
  delivery: { pending: number; oldestPendingSeconds: number };
}

/** GET /health over HTTPS, trusting only the given CA. */
export function health(port: number, ca: string): Promise<Health> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/health',
        method: 'GET',
        ca,
        servername: 'localhost',
        timeout: 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            if (res.statusCode !== 200) throw new Error(`/health answered ${res.statusCode}`);
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Health);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('/health timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** True when nothing is pending and every projection has applied the whole log. */
export function isIdle(h: Health): boolean {
  const head = h.eventStore.head;
  return h.delivery.pending === 0 && Object.values(h.projections).every((p) => p === head);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

const CRLF = Buffer.from('\r\n');
const END_AFTER_CRLF = Buffer.from('\r\n.\r\n');
const END_ALONE = Buffer.from('.\r\n');

/**
 * A raw POP3 client over TLS: sees exactly what the server sends, and can drop the connection
 * at any moment (which poplib cannot do cleanly).
 */
export class Pop3Raw {
  readonly closed: Promise<void>;
  /** Received, not yet consumed bytes: #data[0, #length). Grows by doubling (large RETRs). */
  #data = Buffer.alloc(64 * 1024);
  #length = 0;
  /** How far #take's search got already (a terminator is never looked for twice). */
  #scanned = 0;
  #ended = false;
  #wake: (() => void) | null = null;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.#length + chunk.length > this.#data.length) {
        const grown = Buffer.alloc(Math.max(this.#data.length * 2, this.#length + chunk.length));
        this.#data.copy(grown, 0, 0, this.#length);
        this.#data = grown;
      }
      chunk.copy(this.#data, this.#length);
      this.#length += chunk.length;
      this.#wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  /** Connects and reads the greeting. */
  static async open(port: number, ca: string): Promise<Pop3Raw> {
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const client = new Pop3Raw(socket);
    const greeting = await client.line();
    if (!greeting.startsWith('+OK')) throw new Error(`greeting: ${greeting}`);
    return client;
  }

  /** USER/PASS; returns the PASS reply (the USER reply must be +OK). */
  async login(user: string, password: string): Promise<string> {
    const userReply = await this.command(`USER ${user}`);
    if (!userReply.startsWith('+OK')) throw new Error(`USER: ${userReply}`);
    return this.command(`PASS ${password}`);
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.line();
  }

  /** A multi-line response: the status line and the (still dot-stuffed) body lines. */
  async multi(line: string, timeoutMs = 20_000): Promise<{ status: string; lines: string[] }> {
    const status = await this.command(line);
    if (!status.startsWith('+OK')) return { status, lines: [] };
    const body = await this.#take((b, from) => {
      if (b.length >= 3 && b.subarray(0, 3).equals(END_ALONE)) return 3;
      const at = b.indexOf(END_AFTER_CRLF, Math.max(0, from - 4));
      return at === -1 ? null : at + 5;
    }, timeoutMs);
    const text = body.toString('latin1');
    return { status, lines: text === '.\r\n' ? [] : text.slice(0, -5).split('\r\n') };
  }

  /** UIDL as number → unique id. */
  async uidl(): Promise<Map<number, string>> {
    const { status, lines } = await this.multi('UIDL');
    if (!status.startsWith('+OK')) throw new Error(`UIDL: ${status}`);
    return new Map(
      lines.map((l) => {
        const [n, id] = l.split(' ');
        return [Number(n), id ?? ''];
      }),
    );
  }

  async stat(): Promise<{ count: number; octets: number }> {
    const reply = await this.command('STAT');
    const m = /^\+OK (\d+) (\d+)/.exec(reply);
    if (m === null) throw new Error(`STAT: ${reply}`);
    return { count: Number(m[1]), octets: Number(m[2]) };
  }

  async line(timeoutMs = 10_000): Promise<string> {
    const bytes = await this.#take((b, from) => {
      const at = b.indexOf(CRLF, Math.max(0, from - 1));
      return at === -1 ? null : at + 2;
    }, timeoutMs);
    return bytes.subarray(0, bytes.length - 2).toString('latin1');
  }

  /** Waits until at least `n` unread bytes are there (without consuming them). */
  async buffered(n: number, timeoutMs = 10_000): Promise<number> {
    await eventually(() => (this.#length >= n ? true : undefined), timeoutMs, `${n} bytes`, 5);
    return this.#length;
  }

  async quit(): Promise<string> {
    const reply = await this.command('QUIT');
    await this.closed;
    return reply;
  }

  /** Drops the TCP connection without QUIT. */
  async drop(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  /** Consumes the first `extract(...)` bytes once extract finds them; `from` = bytes already searched. */
  async #take(extract: (buffer: Buffer, from: number) => number | null, timeoutMs: number): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    this.#scanned = 0;
    for (;;) {
      const view = this.#data.subarray(0, this.#length);
      const length = extract(view, this.#scanned);
      if (length !== null) {
        const value = Buffer.from(view.subarray(0, length));
        this.#data.copy(this.#data, 0, length, this.#length);
        this.#length -= length;
        this.#scanned = 0;
        return value;
      }
      this.#scanned = view.length;
      const unread = () => view.subarray(0, 200).toString('latin1');
      if (this.#ended) throw new Error(`connection closed; unread: ${unread()}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out; unread: ${unread()}`);
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
}
