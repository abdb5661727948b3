/**
 * Test harness: a real Fachdienst on a temporary data directory with ephemeral ports, either
 * in this process (fast, inspectable) or as a child process (for kill -9 tests). Accounts are
 * provisioned through the same code the operator CLI uses.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { resolveFachdienstConfig } from '../../src/config/fachdienstConfig.js';
import type { FachdienstConfig, RawFachdienstOptions } from '../../src/config/fachdienstConfig.js';
import { CommandHandler } from '../../src/core/commandHandler.js';
import { provisionAccount, setAccountLock } from '../../src/fachdienst/accounts/provisioning.js';
import { startFachdienst } from '../../src/fachdienst/app.js';
import type { RunningFachdienst } from '../../src/fachdienst/app.js';
import { silentLogger } from '../../src/logging/logger.js';

export const DOMAIN = 'a.kim.test';
export const PASSWORD = 'Secret-Passw0rd!';
const bin = join(import.meta.dirname, '../../src/cli/bin.ts');

export interface TestFachdienst {
  readonly app: RunningFachdienst;
  readonly config: FachdienstConfig;
  readonly dataDir: string;
  /** PEM of the CA that signed the server certificate. */
  readonly ca: string;
  /** Path of that CA file (for curl --cacert, Python cafile). */
  readonly caFile: string;
  addAccount(address: string, password?: string): Promise<void>;
  lockAccount(address: string, locked: boolean): Promise<void>;
  /** Let the projections apply everything appended so far. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** Start a Fachdienst in this process. Options override the defaults (ports 0, domain a.kim.test). */
export async function startTestFachdienst(options: RawFachdienstOptions = {}): Promise<TestFachdienst> {
  const dataDir = options.data ?? mkdtempSync(join(tmpdir(), 'kim-fd-'));
  const config = resolveFachdienstConfig(
    {
      domain: DOMAIN,
      smtpPort: '0',
      pop3Port: '0',
      httpPort: '0',
      hostname: 'localhost',
      ...options,
      data: dataDir,
    },
    {},
  );
  const app = await startFachdienst(config, silentLogger());
  const caFile = join(dataDir, 'pki', 'ca.crt');
  const settle = async () => {
    const head = await app.store.headPosition();
    if (head === null) return;
    await app.views.waitFor(head, 10_000);
  };
  return {
    app,
    config,
    dataDir,
    ca: app.caCertificate,
    caFile: options.pki !== undefined ? join(options.pki, 'ca.crt') : caFile,
    async addAccount(address, password = PASSWORD) {
      await provisionAccount(app.commands, { address, password, now: new Date(), by: 'test' });
      await settle();
    },
    async lockAccount(address, locked) {
      await setAccountLock(app.commands, address, locked, 'test', new Date());
      await settle();
    },
    settle,
    async stop() {
      await app.close();
      if (options.data === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Provision accounts directly in a data directory (no Fachdienst running). */
export async function provisionInDataDir(
  dataDir: string,
  addresses: readonly string[],
  password = PASSWORD,
): Promise<void> {
  const store = new SqliteEventStore({ path: join(dataDir, 'events.sqlite') });
  const commands = new CommandHandler(store);
  for (const address of addresses)
    await provisionAccount(commands, { address, password, now: new Date(), by: 'test' });
  await store.close();
}

export interface ChildFachdienst {
  readonly process: ChildProcess;
  readonly ports: { smtp: number; pop3: number; http: number };
  readonly caFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * Run `kim fachdienst` as a child process on fixed ports (given) and wait until it is ready.
 * Uses tsx so the tests need no build step.
 */
export async function spawnFachdienst(
  dataDir: string,
  ports: { smtp: number; pop3: number; http: number },
  extraArgs: readonly string[] = [],
): Promise<ChildFachdienst> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      bin,
      'fachdienst',
      '--data',
      dataDir,
      '--domain',
      DOMAIN,
      '--hostname',
      'localhost',
      '--smtp-port',
      String(ports.smtp),
      '--pop3-port',
      String(ports.pop3),
      '--http-port',
      String(ports.http),
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KIM_LOG_LEVEL: 'warn' } },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fachdienst did not start: ${err}`)), 30_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('fachdienst ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fachdienst exited with ${code}: ${err}`));
    });
  });
  return { process: child, ports, caFile: join(dataDir, 'pki', 'ca.crt'), exited };
}

/** A free TCP port on 127.0.0.1 (bind to 0, read it, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function readCa(dataDir: string): string {
  return readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8');
}
