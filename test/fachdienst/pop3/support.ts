import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import {
  createPop3Server,
  type Pop3Server,
  type Pop3ServerOptions,
} from '../../../src/fachdienst/pop3/index.js';
import { silentLogger } from '../../../src/logging/logger.js';
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

const CRLF = Buffer.from('\r\n');
const TERMINATOR_AFTER_CRLF = Buffer.from('\r\n.\r\n');
const TERMINATOR_AT_START = Buffer.from('.\r\n');

/**
 * A raw POP3 client over TLS for precise protocol checks: it sees exactly the bytes the server
 * sends (dot-stuffing, terminators, order of pipelined replies).
 */
export class RawClient {
  readonly socket: TLSSocket;
  readonly closed: Promise<void>;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | null = null;

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
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

  static connect(port: number, tls: TestTls, options: ConnectionOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: tls.cert, servername: 'localhost', ...options });
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Connects and reads the greeting. */
  static async open(port: number, tls: TestTls): Promise<RawClient> {
    const client = await RawClient.connect(port, tls);
    const greeting = await client.readLine();
    if (!greeting.startsWith('+OK ')) throw new Error(`unexpected greeting ${greeting}`);
    return client;
  }

  /** Connects and logs in with USER/PASS. */
  static async login(port: number, tls: TestTls, user: string, password: string): Promise<RawClient> {
    const client = await RawClient.open(port, tls);
    const userReply = await client.command(`USER ${user}`);
    const passReply = await client.command(`PASS ${password}`);
    if (!userReply.startsWith('+OK') || !passReply.startsWith('+OK')) {
      throw new Error(`login failed: ${userReply} / ${passReply}`);
    }
    return client;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async command(line: string): Promise<string> {
    this.send(line);
    return this.readLine();
  }

  /** The next line, without CRLF. */
  async readLine(timeoutMs = 5_000): Promise<string> {
    const bytes = await this.#take((buffer) => {
      const at = buffer.indexOf(CRLF);
      return at === -1 ? null : { length: at + 2, value: buffer.subarray(0, at) };
    }, timeoutMs);
    return bytes.toString('utf8');
  }

  /** The raw bytes of a multi-line body including its terminator (after the status line was read). */
  async readBody(timeoutMs = 5_000): Promise<Buffer> {
    return this.#take((buffer) => {
      if (buffer.subarray(0, 3).equals(TERMINATOR_AT_START))
        return { length: 3, value: buffer.subarray(0, 3) };
      const at = buffer.indexOf(TERMINATOR_AFTER_CRLF);
      return at === -1 ? null : { length: at + 5, value: buffer.subarray(0, at + 5) };
    }, timeoutMs);
  }

  /** A multi-line response: status line and the lines of the body (still dot-stuffed). */
  async multiline(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.command(line);
    if (!status.startsWith('+OK')) return { status, lines: [] };
    const body = (await this.readBody()).toString('utf8');
    return { status, lines: body.split('\r\n').slice(0, -2) };
  }

  /** Waits until the server closes; returns whatever it sent that was not read yet. */
  async rest(timeoutMs = 5_000): Promise<string> {
    await Promise.race([
      this.closed,
      sleep(timeoutMs).then(() => {
        throw new Error('server did not close the connection');
      }),
    ]);
    return this.#buffer.toString('utf8');
  }

  destroy(): void {
    this.socket.destroy();
  }

  async quit(): Promise<string> {
    const reply = await this.command('QUIT');
    await this.closed;
    return reply;
  }

  async #take(
    extract: (buffer: Buffer) => { length: number; value: Buffer } | null,
    timeoutMs: number,
  ): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = extract(this.#buffer);
      if (found !== null) {
        const value = Buffer.from(found.value);
        this.#buffer = this.#buffer.subarray(found.length);
        return value;
      }
      if (this.#ended)
        throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer.toString())}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out; unread: ${JSON.stringify(this.#buffer.toString())}`);
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
