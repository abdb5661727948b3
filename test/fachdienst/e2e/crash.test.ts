/**
 * Crash test: a concurrent submission load against a Fachdienst child process that is killed
 * with SIGKILL at random moments and restarted on the same data directory and ports. Afterwards
 * every message the load client saw a 250 for must be in its recipient's mailbox exactly once,
 * complete, and the event store must verify.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { DOMAIN, PASSWORD, freePort, provisionInDataDir, spawnFachdienst } from '../../support/fachdienst.js';
import type { ChildFachdienst } from '../../support/fachdienst.js';
import { eventually, health, isIdle, kim, repoRoot, runProcess, sleep } from './helpers.js';

const KILLS = 6;
/** The stop that is a SIGTERM (graceful) instead of a SIGKILL. */
const TERM_AT = 2;
const ACCOUNTS = ['arzt.eins', 'arzt.zwei', 'praxis.drei', 'klinik.vier'].map((l) => `${l}@${DOMAIN}`);

interface Ack {
  readonly recipient: string;
  readonly sender: string;
  /** Which run of the Fachdienst (0 = first start) was up when the ACK arrived. */
  readonly run: number;
}

interface Retrieved {
  mailboxes: Record<
    string,
    {
      messages: Array<{ number: number; id: string | null; size: number; problems: string[] }>;
      after: number;
    }
  >;
}

/** Kills a child with SIGKILL and waits until it is gone. */
async function kill9(fd: ChildFachdienst): Promise<void> {
  fd.process.kill('SIGKILL');
  await fd.exited;
}

describe('crash safety of the Fachdienst under submission load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kim-crash-'));
  let current: ChildFachdienst | null = null;
  let load: ChildProcess | null = null;
  afterAll(async () => {
    if (load !== null && load.exitCode === null && load.signalCode === null) load.kill('SIGKILL');
    if (current !== null && current.process.exitCode === null && current.process.signalCode === null) {
      await kill9(current);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses no acknowledged message and duplicates none across ${KILLS - 1} kill -9 restarts and a SIGTERM under load`, async () => {
    await provisionInDataDir(dataDir, ACCOUNTS);
    const ports = { smtp: await freePort(), pop3: await freePort(), http: await freePort() };
    current = await spawnFachdienst(dataDir, ports);
    const caFile = current.caFile;
    const ca = readFileSync(caFile, 'utf8');

    // ---- load -------------------------------------------------------------------------
    const acks = new Map<string, Ack>();
    const ackedTwice: string[] = [];
    let run = 0;
    let done = '';
    const client = spawn('python3', [join(repoRoot, 'test/support/loadClient.py')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(ports.smtp),
        CAFILE: caFile,
        ACCOUNTS: ACCOUNTS.join(','),
        PASSWORD,
        THREADS: '8',
        LARGE_EVERY: '8',
      },
    });
    load = client;
    let loadErr = '';
    client.stderr.setEncoding('utf8').on('data', (chunk: string) => (loadErr += chunk));
    const loadExited = new Promise<number | null>((resolve) => client.once('close', (code) => resolve(code)));
    createInterface({ input: client.stdout }).on('line', (line) => {
      const [kind, id, recipient, sender] = line.split(' ');
      if (kind === 'ACK' && id !== undefined && recipient !== undefined && sender !== undefined) {
        if (acks.has(id)) ackedTwice.push(id);
        acks.set(id, { recipient, sender, run });
      } else if (kind === 'DONE') {
        done = line;
      }
    });

    // ---- kill -9 at random moments, restart on the same data dir and ports --------------
    const acksPerRun: number[] = [];
    const restartMs: number[] = [];
    const pendingAtKill: number[] = [];
    let termMs = -1;
    let termExit: number | null = null;
    let termSignal: string | null = null;
    for (let kill = 0; kill < KILLS; kill++) {
      const before = acks.size;
      // Let the load make progress on this run, then kill at a random moment.
      await eventually(() => (acks.size >= before + 3 ? true : undefined), 20_000, 'acks on this run', 20);
      await sleep(300 + Math.floor(Math.random() * 2200));
      // Best effort: how much accepted mail was still undelivered at the moment of the kill.
      pendingAtKill.push(
        await health(current.ports.http, ca).then(
          (h) => h.delivery.pending,
          () => -1,
        ),
      );
      if (kill === TERM_AT) {
        // One graceful stop under load: it must end on its own, with exit code 0.
        const stopping = Date.now();
        current.process.kill('SIGTERM');
        await current.exited;
        termMs = Date.now() - stopping;
        termExit = current.process.exitCode;
        termSignal = current.process.signalCode;
      } else {
        await kill9(current);
      }
      acksPerRun.push(acks.size - before);
      run++;
      const started = Date.now();
      current = await spawnFachdienst(dataDir, ports);
      restartMs.push(Date.now() - started);
    }
    const beforeLast = acks.size;
    await eventually(
      () => (acks.size >= beforeLast + 10 ? true : undefined),
      20_000,
      'acks after restarts',
      20,
    );
    acksPerRun.push(acks.size - beforeLast);

    // ---- stop the load, let delivery finish -------------------------------------------
    client.stdin.end();
    expect(await loadExited, loadErr).toBe(0);
    expect(done).toMatch(/^DONE acked=\d+ failed=\d+/);
    expect(Number(/acked=(\d+)/.exec(done)?.[1])).toBe(acks.size);
    expect(ackedTwice).toEqual([]);
    expect({ exitCode: termExit, signal: termSignal }).toEqual({ exitCode: 0, signal: null });
    const fd = current;
    const idleSince = Date.now();
    await eventually(
      async () => {
        const first = await health(fd.ports.http, ca);
        if (!isIdle(first)) return undefined;
        await sleep(300);
        const second = await health(fd.ports.http, ca);
        return isIdle(second) && second.eventStore.head === first.eventStore.head ? true : undefined;
      },
      30_000,
      'delivery to finish (GET /health)',
      200,
    );
    const deliveryMs = Date.now() - idleSince;

    // ---- retrieve everything with poplib -----------------------------------------------
    const retrieval = await runProcess('python3', [join(repoRoot, 'test/support/retrieveAll.py')], {
      env: {
        ...process.env,
        PORT: String(ports.pop3),
        CAFILE: caFile,
        ACCOUNTS: ACCOUNTS.join(','),
        PASSWORD,
      },
      timeoutMs: 60_000,
    });
    expect(retrieval.code, retrieval.stderr).toBe(0);
    const retrieved = JSON.parse(retrieval.stdout.toString('utf8')) as Retrieved;

    const seen = new Map<string, string[]>();
    const problems: string[] = [];
    let total = 0;
    let large = 0;
    for (const [address, mailbox] of Object.entries(retrieved.mailboxes)) {
      expect(mailbox.after, `${address} empty after DELE + QUIT`).toBe(0);
      for (const message of mailbox.messages) {
        total++;
        if (message.size > 1_000_000) large++;
        for (const p of message.problems) problems.push(`${address} #${message.number}: ${p}`);
        if (message.id !== null) seen.set(message.id, [...(seen.get(message.id) ?? []), address]);
      }
    }
    expect(problems).toEqual([]);
    // Every acknowledged message exactly once, in its recipient's mailbox.
    const wrong: string[] = [];
    for (const [id, ack] of acks) {
      const where = seen.get(id) ?? [];
      if (where.length !== 1 || where[0] !== ack.recipient)
        wrong.push(`${id} (run ${ack.run}) for ${ack.recipient}: found in [${where.join(', ')}]`);
    }
    expect(wrong).toEqual([]);
    // No message at all (acknowledged or not) was delivered twice.
    const duplicated = [...seen].filter(([, where]) => where.length !== 1).map(([id]) => id);
    expect(duplicated).toEqual([]);

    // ---- the event store verifies --------------------------------------------------------
    fd.process.kill('SIGTERM');
    await fd.exited;
    const verify = await kim(['store', 'verify', '--data', dataDir, '--quiet']);
    expect(verify.code, `${verify.stdout.toString()}${verify.stderr}`).toBe(0);
    expect(verify.stdout.toString()).toMatch(/^OK: /);

    console.info(
      `crash test: ${acks.size} messages acked across ${KILLS - 1} SIGKILLs + 1 SIGTERM (per run: ${acksPerRun.join(', ')}), ` +
        `${total} retrieved (${large} of ~1 MB; ${total - acks.size} accepted without the client seeing the 250), ` +
        `pending deliveries at the kills ${pendingAtKill.join('/')}, ` +
        `${done}, restarts ${restartMs.join('/')} ms, SIGTERM under load took ${termMs} ms, ` +
        `delivery finished ${deliveryMs} ms after the load stopped`,
    );
  }, 120_000);
});
