import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPop3Server,
  type Pop3Server,
  type Pop3ServerOptions,
} from '../../../src/fachdienst/pop3/index.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { Pop3Raw } from '../../support/pop3Raw.js';
import type { MemoryHooks } from './memoryHooks.js';

export interface TestTls {
  readonly dir: string;
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  cleanup(): Promise<void>;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a program without blocking the event loop (the server under test runs in this process). */
export function run(
  file: string,
  args: readonly string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: 'buffer',
        timeout: timeoutMs,
        maxBuffer: 128 * 1024 * 1024,
        env: { ...process.env, ...env },
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

/** A fresh self-signed certificate for localhost / 127.0.0.1 in a temp dir. */
export async function makeTls(): Promise<TestTls> {
  const dir = await mkdtemp(join(tmpdir(), 'kim-pop3-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const result = await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days',
    '2',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return {
    dir,
    keyPath,
    certPath,
    key: await readFile(keyPath),
    cert: await readFile(certPath),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RunningServer {
  readonly server: Pop3Server;
  readonly port: number;
}

export async function startServer(
  hooks: MemoryHooks,
  tls: TestTls,
  overrides: Partial<Omit<Pop3ServerOptions, 'hooks'>> = {},
): Promise<RunningServer> {
  const server = createPop3Server({
    hooks,
    tls: { key: tls.key, cert: tls.cert },
    logger: silentLogger(),
    hostname: 'pop3.test.kim',
    ...overrides,
  });
  const port = await server.listen(0, '127.0.0.1');
  return { server, port };
}

export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connects and logs in with USER/PASS; any refusal fails the test (no retry on [IN-USE]). */
export async function loginAt(port: number, tls: TestTls, user: string, password: string): Promise<Pop3Raw> {
  const client = await Pop3Raw.open(port, tls.cert);
  const reply = await client.login(user, password);
  if (!reply.startsWith('+OK')) {
    client.close();
    throw new Error(`login failed: ${reply}`);
  }
  return client;
}

/** Runs a Python poplib script; the script gets PORT, CAFILE in the environment and prints JSON. */
export async function runPython(tls: TestTls, port: number, script: string): Promise<unknown> {
  const path = join(tls.dir, `client-${Date.now()}-${Math.random().toString(36).slice(2)}.py`);
  const preamble = [
    'import base64, hashlib, json, os, poplib, ssl, sys',
    "PORT = int(os.environ['PORT'])",
    "ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])",
    "def connect():\n    return poplib.POP3_SSL('127.0.0.1', PORT, context=ctx, timeout=30)",
    "def sha(lines):\n    return hashlib.sha256(b'\\r\\n'.join(lines) + b'\\r\\n').hexdigest()",
    "def text(b):\n    return b.decode('utf-8')",
    '',
  ].join('\n');
  await writeFile(path, `${preamble}\n${script}\n`);
  const result = await run('python3', [path], 60_000, { PORT: String(port), CAFILE: tls.certPath });
  if (result.code !== 0) throw new Error(`python failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout.toString('utf8')) as unknown;
}
