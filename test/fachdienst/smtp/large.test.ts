import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import {
  countSubmissions,
  httpsGet,
  queuedId,
  RawSmtp,
  retrieveWithCurl,
  retrieveWithPoplib,
  Scratch,
  sha256,
  sleep,
  status,
  stripTrace,
  submitWithSmtplib,
  waitForDelivery,
} from './support.js';
import type { Reply, SubmitResult } from './support.js';

/**
 * Large messages end to end: a 25 MB client mail (KIM's limit before signing and encryption)
 * is submitted with smtplib and retrieved over POP3 byte for byte; ten of them at once; and the
 * bounded DATA pipeline under more parallel submissions than it has places.
 */
const ALICE = 'alice@a.kim.test';
const MB = 1024 * 1024;
let fd: TestFachdienst;
let scratch: Scratch;

beforeAll(async () => {
  fd = await startTestFachdienst();
  scratch = new Scratch();
  for (const user of [ALICE, 'big@a.kim.test', 'many@a.kim.test', 'pipe@a.kim.test', 'busy@a.kim.test'])
    await fd.addAccount(user);
});

afterAll(async () => {
  await fd?.stop();
  scratch?.cleanup();
});

function submitGenerated(to: string, size: number, seed: number): Promise<SubmitResult> {
  return submitWithSmtplib(scratch, {
    port: fd.app.ports.smtp,
    cafile: fd.caFile,
    user: ALICE,
    password: PASSWORD,
    from: ALICE,
    to: [to],
    generate: { size, from: ALICE, to, subject: `large ${seed}`, seed },
  });
}

function finalReply(result: SubmitResult) {
  return result.steps.find((s) => s.step === 'data' || s.step === 'error');
}

describe('25 MB messages', () => {
  it('round-trips one 25 MB message byte-exact (smtplib in, curl pop3s out)', async () => {
    const started = performance.now();
    const result = await submitGenerated('big@a.kim.test', 25 * MB, 1);
    const submitted = performance.now();
    expect(result.size).toBe(25 * MB);
    const data = finalReply(result);
    expect(data, JSON.stringify(result.steps)).toMatchObject({ code: 250 });
    await waitForDelivery(fd, queuedId(data?.text));
    const path = await retrieveWithCurl(scratch, fd, 'big@a.kim.test', PASSWORD, 1);
    const retrieved = readFileSync(path);
    rmSync(path);
    const { body } = stripTrace(retrieved);
    const done = performance.now();
    console.info(
      `25 MB round trip: submit ${((submitted - started) / 1000).toFixed(2)} s (smtplib ${result.seconds.toFixed(2)} s), ` +
        `total with delivery and retrieval ${((done - started) / 1000).toFixed(2)} s`,
    );
    expect(body.length).toBe(result.size);
    expect(sha256(body)).toBe(result.sha256);
  });

  it('accepts ten 25 MB messages submitted in parallel and delivers all of them', async () => {
    const before = await countSubmissions(fd);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => submitGenerated('many@a.kim.test', 25 * MB, 100 + i)),
    );
    const submitted = performance.now();
    const finals = results.map(finalReply);
    expect(finals.map((f) => f?.code)).toEqual(Array<number>(10).fill(250));
    expect(await countSubmissions(fd)).toBe(before + 10);
    for (const f of finals) await waitForDelivery(fd, queuedId(f?.text));

    const messages = await retrieveWithPoplib(scratch, fd, 'many@a.kim.test', PASSWORD);
    const done = performance.now();
    expect(messages).toHaveLength(10);
    const retrieved = messages.map((m) => {
      const digest = sha256(stripTrace(readFileSync(m.path)).body);
      rmSync(m.path);
      return digest;
    });
    console.info(
      `10 x 25 MB in parallel: all 250 after ${((submitted - started) / 1000).toFixed(2)} s, ` +
        `retrieved after ${((done - started) / 1000).toFixed(2)} s`,
    );
    expect(retrieved.sort()).toEqual(results.map((r) => r.sha256).sort());
  }, 120_000);
});

describe('DATA pipeline', () => {
  /** The kim_smtp_data_pipeline gauges from /metrics. */
  async function pipelineGauges(): Promise<{ running: number; waiting: number; text: string }> {
    const response = await httpsGet(fd.app.ports.http, '/metrics', fd.ca);
    expect(response.status).toBe(200);
    const gauge = (state: string) =>
      Number(
        new RegExp(`^kim_smtp_data_pipeline\\{state="${state}"\\} (\\d+)$`, 'm').exec(response.body)?.[1],
      );
    return { running: gauge('running'), waiting: gauge('waiting'), text: response.body };
  }

  /** Polls /metrics until the gauges show `running` and `waiting` (or time runs out); returns the last. */
  async function awaitGauges(running: number, waiting: number) {
    const until = Date.now() + 10_000;
    let gauges = await pipelineGauges();
    while ((gauges.running !== running || gauges.waiting !== waiting) && Date.now() < until) {
      await sleep(25);
      gauges = await pipelineGauges();
    }
    return gauges;
  }

  /** `n` logged-in clients, each after DATA's 354. */
  async function inData(n: number, to: string): Promise<RawSmtp[]> {
    const clients = await Promise.all(
      Array.from({ length: n }, () => RawSmtp.login(fd.app.ports.smtp, fd.ca, ALICE, PASSWORD)),
    );
    for (const client of clients) {
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('250 -');
      expect(status(await client.command(`RCPT TO:<${to}>`))).toBe('250 -');
      expect((await client.command('DATA')).code).toBe(354);
    }
    return clients;
  }

  const headerFor = (to: string, i: number) =>
    `From: <${ALICE}>\r\nTo: <${to}>\r\nSubject: pipeline\r\nMIME-Version: 1.0\r\nX-Index: ${i}\r\n\r\n`;

  it('runs 10 DATA transfers at once, queues the rest, and loses none of 12 parallel 2 MB submissions', async () => {
    const to = 'pipe@a.kim.test';
    const line = `${'A'.repeat(76)}\r\n`;
    const half = line.repeat(Math.floor(MB / line.length));
    const clients = await inData(12, to);
    try {
      // Every client sends the first half of its message and holds the rest back.
      clients.forEach((client, i) => client.write(`${headerFor(to, i)}${half}`));
      const gauges = await awaitGauges(10, 2);
      expect(gauges.text).toContain('# TYPE kim_smtp_data_pipeline gauge');
      expect({ running: gauges.running, waiting: gauges.waiting }).toEqual({ running: 10, waiting: 2 });

      clients.forEach((client) => client.write(`${half}.\r\n`));
      const finals: Reply[] = await Promise.all(clients.map((client) => client.reply(60_000)));
      expect(finals.map(status)).toEqual(Array<string>(12).fill('250 2.0.0'));
      for (const reply of finals) await waitForDelivery(fd, queuedId(reply.text));
    } finally {
      for (const client of clients) client.close();
    }
    const after = await pipelineGauges();
    expect({ running: after.running, waiting: after.waiting }).toEqual({ running: 0, waiting: 0 });
    const messages = await retrieveWithPoplib(scratch, fd, to, PASSWORD);
    expect(messages).toHaveLength(12);
    const indexes = messages.map((m) => /X-Index: (\d+)/.exec(readFileSync(m.path, 'latin1'))?.[1]);
    expect(indexes.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (const m of messages) expect(m.size).toBeGreaterThan(2 * MB - 1000);
  });

  it('answers 451 4.3.2 when 10 messages run and 20 wait, and accepts the 30 afterwards', async () => {
    const to = 'busy@a.kim.test';
    const clients = await inData(31, to);
    const [extra] = clients.splice(30, 1);
    try {
      clients.forEach((client, i) => client.write(`${headerFor(to, i)}first line\r\n`));
      const gauges = await awaitGauges(10, 20);
      expect({ running: gauges.running, waiting: gauges.waiting }).toEqual({ running: 10, waiting: 20 });

      extra!.write(`${headerFor(to, 30)}no room\r\n.\r\n`);
      expect(status(await extra!.reply())).toBe('451 4.3.2');

      clients.forEach((client) => client.write('last line\r\n.\r\n'));
      const finals = await Promise.all(clients.map((client) => client.reply(30_000)));
      expect(finals.map(status)).toEqual(Array<string>(30).fill('250 2.0.0'));
    } finally {
      for (const client of [...clients, extra!]) client.close();
    }
  });

  it('frees the places of clients that disconnect in the middle of DATA', async () => {
    const to = 'busy@a.kim.test';
    const before = await countSubmissions(fd);
    const clients = await inData(12, to);
    clients.forEach((client, i) => client.write(`${headerFor(to, i)}${'B'.repeat(100_000)}\r\n`));
    expect(await awaitGauges(10, 2)).toMatchObject({ running: 10, waiting: 2 });
    for (const client of clients) client.close();
    expect(await awaitGauges(0, 0)).toMatchObject({ running: 0, waiting: 0 });
    expect(await countSubmissions(fd)).toBe(before);

    // The pipeline still works.
    const [client] = await inData(1, to);
    try {
      client!.write(`${headerFor(to, 99)}after\r\n.\r\n`);
      expect(status(await client!.reply())).toBe('250 2.0.0');
    } finally {
      client!.close();
    }
  });
});
