/**
 * A mail server under load, measured the way the Postfix + Dovecot baseline was:
 *  (a) 2000 × 4 KiB, 10 parallel, a new TLS connection and AUTH per message, durable 250: on the
 *      fresh server (`smallMessages`, cold), then 2000 more on the same server (`smallMessagesWarm`);
 *  (b) 10 × 25 MiB submitted in parallel: wall time and the server's peak RSS;
 *  (c) POP3 retrieval of everything (2 mailboxes in parallel, RETR + DELE): messages/s, MB/s.
 * The server is our Fachdienst (`kim fachdienst`, its own process) or, with
 * KIM_BENCH_TARGET=postfix-dovecot, the baseline's Postfix + Dovecot on this machine with the
 * same certificate, accounts and client (bench/peers/postfix-dovecot.sh).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fetchAll } from '../clients/pop3Fetch.js';
import { sendAll } from '../clients/smtpLoad.js';
import type { SmtpJob } from '../clients/smtpLoad.js';
import { clientTlsContext, dotStuffed } from '../clients/wire.js';
import { report, round, withTempDir } from '../support.js';
import { kimFachdienst } from '../targets/kimFachdienst.js';
import { postfixDovecot } from '../targets/postfixDovecot.js';
import type { MailTarget } from '../targets/target.js';

const SMALL = Number(process.env['KIM_BENCH_SMALL_MESSAGES'] ?? 2000);
const TARGET = process.env['KIM_BENCH_TARGET'] ?? 'kim-fachdienst';
const PASSWORD = 'Bench-Passw0rd!';
const USERS = ['alice@kim.test', 'bob@kim.test'];
/** Receives the second (warm) small-message run, so (c) fetches the same set as the baseline did. */
const WARM_RECIPIENT = 'carol@kim.test';
const ACCOUNTS = [...USERS, WARM_RECIPIENT];
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

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
};

/** Messages sent so far per mailbox, for targets that can only tell delivery by looking. */
const sent = new Map<string, number>(ACCOUNTS.map((a) => [a, 0]));
const count = (jobs: readonly SmtpJob[]) => {
  for (const job of jobs) sent.set(job.to, (sent.get(job.to) ?? 0) + 1);
};

await withTempDir('kim-bench-mail-', async (dir) => {
  // One development PKI for every target: the same RSA-2048 server certificate, the same handshake work.
  const pki = join(dir, 'pki');
  const init = spawnSync(process.execPath, [bin, 'pki', 'init', '--out', pki, '--domain', 'kim.test'], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`kim pki init failed: ${init.stderr}`);
  const target: MailTarget =
    TARGET === 'postfix-dovecot'
      ? postfixDovecot(dir, pki, ACCOUNTS, PASSWORD)
      : kimFachdienst(dir, pki, ACCOUNTS, PASSWORD);
  const { ports } = target;
  const clientTls = clientTlsContext(target.ca);
  const mailboxes = (users: readonly string[]) => new Map(users.map((u) => [u, sent.get(u) ?? 0]));

  // Like the baseline, each scenario gets a freshly started server, so its peak memory is its own.
  await target.start();
  const idle = target.usage();

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
  const send = async (jobs: SmtpJob[]) => {
    const latencies = await sendAll(ports.smtp, clientTls, jobs, 10);
    count(jobs);
    return latencies;
  };
  await send(small.slice(0, 20)); // auth cache, first compiles
  await target.allDelivered(mailboxes(USERS));
  const smallRun = async (jobs: SmtpJob[]) => {
    target.resetPeak();
    const before = target.usage();
    const start = performance.now();
    const latencies = await send(jobs);
    const smtpSeconds = (performance.now() - start) / 1000;
    const deliveredAfterMs = await target.allDelivered(mailboxes([...new Set(jobs.map((j) => j.to))]));
    const after = target.usage();
    return {
      messages: latencies.length,
      messagesPerSecond: round(latencies.length / smtpSeconds),
      smtpSeconds: round(smtpSeconds, 2),
      allDeliveredSecondsAfterLast250: round(deliveredAfterMs / 1000, 2),
      latencyMs: { p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99) },
      serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
      serverPeakRssMb: after.peakRssMb,
    };
  };
  const a = await smallRun(small.slice(20));
  const aWarm = await smallRun(warmJobs);

  // (b) 10 × 25 MiB in parallel, on a fresh server warmed with a few small messages.
  await target.start();
  await send(small.slice(0, 10));
  await target.allDelivered(mailboxes(USERS));
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
  target.resetPeak();
  let before = target.usage();
  let start = performance.now();
  const bigLatencies = await send(bigJobs);
  const bigSeconds = (performance.now() - start) / 1000;
  const bigDelivered = await target.allDelivered(mailboxes(USERS));
  let after = target.usage();
  const totalBytes = bigJobs.reduce((sum, j) => sum + j.data.length, 0);
  const b = {
    messages: bigLatencies.length,
    wallSeconds: round(bigSeconds, 2),
    megabytesPerSecond: round(totalBytes / 1e6 / bigSeconds),
    allDeliveredSecondsAfterLast250: round(bigDelivered / 1000, 2),
    serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    serverPeakRssMb: after.peakRssMb,
  };

  // (c) POP3: both mailboxes in parallel, RETR + DELE everything, on a fresh server.
  await target.start();
  target.resetPeak();
  before = target.usage();
  start = performance.now();
  const fetched = await Promise.all(USERS.map((user) => fetchAll(ports.pop3, clientTls, user, PASSWORD)));
  const popSeconds = (performance.now() - start) / 1000;
  after = target.usage();
  const messages = fetched.reduce((s, f) => s + f.messages, 0);
  const bytes = fetched.reduce((s, f) => s + f.bytes, 0);
  const c = {
    messages,
    megabytes: round(bytes / 1e6),
    seconds: round(popSeconds, 2),
    messagesPerSecond: round(messages / popSeconds),
    megabytesPerSecond: round(bytes / 1e6 / popSeconds),
    serverCpuSeconds: round(after.cpuSeconds - before.cpuSeconds, 2),
    serverPeakRssMb: after.peakRssMb,
  };

  await target.stop();
  report({
    phase: 'mail',
    target: target.name,
    serverIdleRssMb: idle.peakRssMb,
    smallMessages: a,
    smallMessagesWarm: aWarm,
    parallel25MB: b,
    pop3Retrieval: c,
    baselinePostfixDovecot: {
      measured: '2026-11-28 on the reference machine (shared/docs/research/baseline-postfix-dovecot.md)',
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
