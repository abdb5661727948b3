/**
 * The Fachdienst under mail load, measured the way the Postfix + Dovecot baseline was:
 *  (a) 2000 × 4 KiB, 10 parallel, a new TLS connection and AUTH per message, durable 250: on the
 *      fresh server (`smallMessages`, cold), then 2000 more on the same server (`smallMessagesWarm`);
 *  (b) 10 × 25 MiB submitted in parallel: wall time and the server's peak RSS;
 *  (c) POP3 retrieval of everything (2 mailboxes in parallel, RETR + DELE): messages/s, MB/s.
 * The server runs as its own process (`kim fachdienst`, built), so its RSS and CPU are its own.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { CommandHandler } from '../../src/core/commandHandler.js';
import { provisionAccount } from '../../src/fachdienst/accounts/provisioning.js';
import { fetchAll } from '../clients/pop3Fetch.js';
import { sendAll } from '../clients/smtpLoad.js';
import type { SmtpJob } from '../clients/smtpLoad.js';
import { clientTlsContext, dotStuffed } from '../clients/wire.js';
import { report, round, withTempDir } from '../support.js';

const SMALL = Number(process.env['KIM_BENCH_SMALL_MESSAGES'] ?? 2000);
const PASSWORD = 'Bench-Passw0rd!';
const USERS = ['alice@kim.test', 'bob@kim.test'];
/** Receives the second (warm) small-message run, so (c) fetches the same set as the baseline did. */
const WARM_RECIPIENT = 'carol@kim.test';
const bin = join(import.meta.dirname, '../../src/cli/bin.js');

function message(from: string, to: string, bodyBytes: number, n: number): Buffer {
  const header =
    `From: ${from}\r\nTo: ${to}\r\nSubject: bench ${n}\r\nMessage-ID: <bench-${n}@kim.test>\r\n` +
    `Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n.this line starts with a dot (tests SMTP/POP3 dot-stuffing)\r\n`;
  const line = `${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw'.repeat(2).slice(0, 76)}\r\n`;
  const lines = Math.max(1, Math.floor(bodyBytes / line.length));
  return Buffer.concat([Buffer.from(header), Buffer.from(line.repeat(lines))]);
}

function procStatus(pid: number): { hwmMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
  return { hwmMb: round(hwm / 1024), cpuSeconds: round(ticks / 100, 2) };
}

/** Writing 5 to clear_refs resets the peak RSS, so each scenario reports its own peak. */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not permitted: the peak then covers the whole run so far */
  }
}

function health(port: number, ca: string): Promise<{ delivery: { pending: number } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', ca, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(JSON.parse(body) as { delivery: { pending: number } }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function allDelivered(port: number, ca: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if ((await health(port, ca)).delivery.pending === 0) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
};

await withTempDir('kim-bench-mail-', async (dir) => {
  const store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
  const commands = new CommandHandler(store);
  for (const address of [...USERS, WARM_RECIPIENT])
    await provisionAccount(commands, { address, password: PASSWORD, now: new Date(), by: 'bench' });
  await store.close();

  const ports = { smtp: 21465, pop3: 21995, http: 21443 };
  const ca = () => readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
  // Like the baseline, each scenario gets a freshly started server, so its peak RSS is its own.
  const startServer = async (): Promise<{ pid: number; stop: () => Promise<void> }> => {
    const server = spawn(
      process.execPath,
      [
        // The flags `npm start` and the kim launcher use (see bin/kim.mjs), plus any for profiling.
        '--max-semi-space-size=2',
        ...(process.env['KIM_BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
        bin,
        'fachdienst',
        '--data',
        dir,
        '--domain',
        'kim.test',
        '--hostname',
        'localhost',
        '--smtp-port',
        String(ports.smtp),
        '--pop3-port',
        String(ports.pop3),
        '--http-port',
        String(ports.http),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KIM_LOG_LEVEL: 'warn' } },
    );
    await new Promise<void>((resolve, reject) => {
      server.stdout
        .setEncoding('utf8')
        .on('data', (c: string) => c.includes('fachdienst ready') && resolve());
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    return {
      pid: server.pid ?? 0,
      stop: async () => {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('exit', resolve));
      },
    };
  };
  let running = await startServer();
  // The PKI is created on the first start and kept in `dir`: one client TLS context for the run.
  const clientTls = clientTlsContext(ca());
  let pid = running.pid;
  const idle = procStatus(pid);

  // (a) small messages, connection + AUTH per message: first on the fresh server (cold: the JIT
  // is still compiling, as right after a restart), then the next 2000 on the same server (warm,
  // the steady state of a long-running service). The warm ones go to a third mailbox, so (c)
  // fetches the same set as the baseline did.
  const small: SmtpJob[] = Array.from({ length: SMALL }, (_, n) => {
    const from = USERS[n % 2] ?? '';
    const to = USERS[(n + 1) % 2] ?? '';
    return { from, to, password: PASSWORD, data: dotStuffed(message(from, to, 4096, n)) };
  });
  const warmJobs: SmtpJob[] = Array.from({ length: SMALL - 20 }, (_, n) => {
    const from = USERS[n % 2] ?? '';
    return {
      from,
      to: WARM_RECIPIENT,
      password: PASSWORD,
      data: dotStuffed(message(from, WARM_RECIPIENT, 4096, 500_000 + n)),
    };
  });
  await sendAll(ports.smtp, clientTls, small.slice(0, 20), 10); // auth cache, first compiles
  await allDelivered(ports.http, ca());
  const smallRun = async (jobs: SmtpJob[]) => {
    resetPeak(pid);
    const before = procStatus(pid);
    const start = performance.now();
    const latencies = await sendAll(ports.smtp, clientTls, jobs, 10);
    const smtpSeconds = (performance.now() - start) / 1000;
    const deliveredAfterMs = await allDelivered(ports.http, ca());
    const after = procStatus(pid);
    return {
      messages: latencies.length,
      messagesPerSecond: round(latencies.length / smtpSeconds),
      smtpSeconds: round(smtpSeconds, 2),
      allDeliveredSecondsAfterLast250: round(deliveredAfterMs / 1000, 2),
      latencyMs: { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99) },
      serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
      serverPeakRssMb: after.hwmMb,
    };
  };
  const a = await smallRun(small.slice(20));
  const aWarm = await smallRun(warmJobs);

  await running.stop();

  // (b) 10 × 25 MiB in parallel, on a fresh server warmed with a few small messages.
  running = await startServer();
  pid = running.pid;
  await sendAll(ports.smtp, clientTls, small.slice(0, 10), 10);
  await allDelivered(ports.http, ca());
  const big = dotStuffed(message(USERS[0] ?? '', USERS[1] ?? '', 25 * 1024 * 1024, 999_999));
  const bigJobs: SmtpJob[] = Array.from({ length: 10 }, (_, n) => {
    const from = USERS[n % 2] ?? '';
    return {
      from,
      to: USERS[(n + 1) % 2] ?? '',
      password: PASSWORD,
      data: n % 2 === 0 ? big : dotStuffed(message(from, USERS[(n + 1) % 2] ?? '', 25 * 1024 * 1024, n)),
    };
  });
  resetPeak(pid);
  let before = procStatus(pid);
  let start = performance.now();
  const bigLatencies = await sendAll(ports.smtp, clientTls, bigJobs, 10);
  const bigSeconds = (performance.now() - start) / 1000;
  const bigDelivered = await allDelivered(ports.http, ca());
  let after = procStatus(pid);
  const totalBytes = bigJobs.reduce((sum, j) => sum + j.data.length, 0);
  const b = {
    messages: bigLatencies.length,
    wallSeconds: round(bigSeconds, 2),
    megabytesPerSecond: round(totalBytes / 1e6 / bigSeconds),
    allDeliveredSecondsAfterLast250: round(bigDelivered / 1000, 2),
    serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    serverPeakRssMb: after.hwmMb,
  };

  await running.stop();

  // (c) POP3: both mailboxes in parallel, RETR + DELE everything, on a fresh server.
  running = await startServer();
  pid = running.pid;
  resetPeak(pid);
  before = procStatus(pid);
  start = performance.now();
  const fetched = await Promise.all(USERS.map((user) => fetchAll(ports.pop3, clientTls, user, PASSWORD)));
  const popSeconds = (performance.now() - start) / 1000;
  after = procStatus(pid);
  const messages = fetched.reduce((s, f) => s + f.messages, 0);
  const bytes = fetched.reduce((s, f) => s + f.bytes, 0);
  const c = {
    messages,
    megabytes: round(bytes / 1e6),
    seconds: round(popSeconds, 2),
    messagesPerSecond: round(messages / popSeconds),
    megabytesPerSecond: round(bytes / 1e6 / popSeconds),
    serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    serverPeakRssMb: after.hwmMb,
  };

  await running.stop();
  report({
    phase: 'mail',
    serverIdleRssMb: idle.hwmMb,
    smallMessages: a,
    smallMessagesWarm: aWarm,
    parallel25MB: b,
    pop3Retrieval: c,
    baselinePostfixDovecot: {
      smallMessagesPerSecond: 137.6,
      parallel25MBSeconds: 2.04,
      pop3MessagesPerSecond: 425.6,
      pop3MegabytesPerSecond: 57.4,
    },
    targets: {
      smallMessagesPerSecond: '>= 206 (1.5x; reported cold and warm)',
      parallel25MBSeconds: '<= 1.70 (1.2x)',
      pop3MessagesPerSecond: '>= 511 (1.2x)',
      pop3MegabytesPerSecond: '>= 68.9 (1.2x)',
      serverPeakRssMbIn25MB: '< 200',
    },
  });
});
