/**
 * Shared helpers of the end-to-end tests: running real clients (python3, curl, the kim CLI) as
 * child processes without blocking the event loop, a minimal raw POP3-over-TLS client, and the
 * health endpoint.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';

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

export { Pop3Raw } from '../../support/pop3Raw.js';
