import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { cpuSeconds, peakRssMb, resetPeak } from './proc.js';
import type { MailTarget } from './target.js';

const bin = join(import.meta.dirname, '../../src/cli/bin.js');
const ports = { smtp: 21465, pop3: 21995, http: 21443 } as const;

/**
 * Our Fachdienst as its own process (`kim fachdienst`, built, with the flags `npm start` uses),
 * so its RSS and CPU are its own. `pki` is a directory made by `kim pki init`.
 */
export function kimFachdienst(
  dir: string,
  pki: string,
  accounts: readonly string[],
  password: string,
): MailTarget {
  // Accounts are added the way an operator adds them: `kim admin account add` (password on stdin).
  for (const address of accounts) {
    const add = spawnSync(process.execPath, [bin, 'admin', 'account', 'add', address, '--data', dir], {
      input: `${password}\n`,
      encoding: 'utf8',
    });
    if (add.status !== 0) throw new Error(`kim admin account add ${address}: ${add.stderr}`);
  }
  const ca = readFileSync(join(pki, 'ca.crt'), 'utf8');

  let server: ChildProcess | null = null;
  const pid = () => server?.pid ?? 0;
  const stop = async () => {
    const running = server;
    server = null;
    if (running === null || running.exitCode !== null) return;
    running.kill('SIGTERM');
    await new Promise((resolve) => running.once('exit', resolve));
  };
  return {
    name: 'kim-fachdienst',
    ports,
    ca,
    async start() {
      await stop();
      const child = spawn(
        process.execPath,
        [
          // The flags `npm start` and the kim launcher use (see bin/kim.mjs), plus any for profiling.
          '--max-semi-space-size=2',
          ...(process.env['KIM_BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
          bin,
          'fachdienst',
          ...['--data', dir, '--pki', pki, '--domain', 'kim.test', '--hostname', 'localhost'],
          ...[
            '--smtp-port',
            String(ports.smtp),
            '--pop3-port',
            String(ports.pop3),
            '--http-port',
            String(ports.http),
          ],
        ],
        // The environment `npm start` and the launcher set (MALLOC_ARENA_MAX), unless given.
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { MALLOC_ARENA_MAX: '2', ...process.env, KIM_LOG_LEVEL: 'warn' },
        },
      );
      server = child;
      await new Promise<void>((resolve, reject) => {
        child.stdout
          ?.setEncoding('utf8')
          .on('data', (c: string) => c.includes('fachdienst ready') && resolve());
        child.once('exit', (code) => reject(new Error(`kim fachdienst exited ${code}`)));
      });
    },
    stop,
    async allDelivered() {
      // The health endpoint counts accepted submissions not yet in every mailbox.
      const start = performance.now();
      while ((await health(ca)).delivery.pending !== 0) await new Promise((r) => setTimeout(r, 20));
      return performance.now() - start;
    },
    resetPeak: () => resetPeak(pid()),
    usage: () => ({ cpuSeconds: cpuSeconds(pid()), peakRssMb: peakRssMb(pid()) }),
  };
}

function health(ca: string): Promise<{ delivery: { pending: number } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ports.http, path: '/health', ca, servername: 'localhost' },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as { delivery: { pending: number } }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
