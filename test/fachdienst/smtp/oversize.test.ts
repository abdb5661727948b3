import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_MAX_MESSAGE_SIZE } from '../../../src/config/fachdienstConfig.js';
import { PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import { countSubmissions, RawSmtp, Scratch, status, submitWithSmtplib } from './support.js';

/**
 * The size limit, at the smallest value KIM allows (35,882,577 octets): announced in EHLO,
 * enforced at MAIL FROM for a declared SIZE and at the end of DATA for what actually arrived,
 * without the server buffering the refused message.
 */
const ALICE = 'alice@a.kim.test';
const BOB = 'bob@a.kim.test';
const MB = 1024 * 1024;
let fd: TestFachdienst;
let scratch: Scratch;

beforeAll(async () => {
  fd = await startTestFachdienst({ maxMessageSize: String(MIN_MAX_MESSAGE_SIZE) });
  scratch = new Scratch();
  await fd.addAccount(ALICE);
  await fd.addAccount(BOB);
});

afterAll(async () => {
  await fd?.stop();
  scratch?.cleanup();
});

describe('message size limit', () => {
  it('announces the limit and refuses MAIL FROM with a larger SIZE with 552 5.3.4', async () => {
    const client = await RawSmtp.connect(fd.app.ports.smtp, fd.ca);
    try {
      expect((await client.reply()).code).toBe(220);
      const ehlo = await client.command('EHLO client.a.kim.test');
      expect(ehlo.lines.some((line) => line.slice(4) === `SIZE ${MIN_MAX_MESSAGE_SIZE}`)).toBe(true);
      expect(status(await client.authPlain(ALICE, PASSWORD))).toBe('235 -');
      const refused = await client.command(`MAIL FROM:<${ALICE}> SIZE=99999999`);
      expect(status(refused)).toBe('552 5.3.4');
      expect(status(await client.command(`MAIL FROM:<${ALICE}> SIZE=${MIN_MAX_MESSAGE_SIZE}`))).toBe('250 -');
    } finally {
      client.close();
    }
  });

  /** Submits a generated message of `size` bytes while sampling this process's RSS every 50 ms. */
  async function submitSampled(size: number, subject: string) {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const result = await submitWithSmtplib(scratch, {
      port: fd.app.ports.smtp,
      cafile: fd.caFile,
      user: ALICE,
      password: PASSWORD,
      from: ALICE,
      to: [BOB],
      generate: { size, from: ALICE, to: BOB, subject },
    }).finally(() => clearInterval(sampler));
    const growthMb = (peak - baseline) / MB;
    console.info(
      `RSS while submitting ${subject} (${(size / MB).toFixed(1)} MB): +${growthMb.toFixed(1)} MB`,
    );
    const final = result.steps.find((s) => s.step === 'data' || s.step === 'error');
    return { result, final, growthMb };
  }

  it('refuses a 36 MB message with 552 5.3.4 at the end of DATA, without buffering it', async () => {
    // A small message first: the first transfer of a process grows its allocator arenas.
    expect((await submitSampled(4 * MB, 'warm-up')).final?.code).toBe(250);
    const before = await countSubmissions(fd);

    const { result, final, growthMb } = await submitSampled(36 * MB, 'too big');
    expect(result.size).toBeGreaterThan(MIN_MAX_MESSAGE_SIZE);
    expect(final, JSON.stringify(result.steps)).toMatchObject({ code: 552 });
    expect(final?.text).toBe(`5.3.4 Message exceeds fixed maximum message size ${MIN_MAX_MESSAGE_SIZE}`);
    expect(growthMb).toBeLessThan(60);
    expect(await countSubmissions(fd)).toBe(before);
  });

  it('keeps memory flat however large the refused message is (100 MB)', async () => {
    // Holding the message would cost 100 MB here; streaming it costs a few buffers.
    const { final, growthMb } = await submitSampled(100 * MB, 'far too big');
    expect(final?.code).toBe(552);
    expect(growthMb).toBeLessThan(60);
  });

  it('accepts a message of exactly the limit', async () => {
    const { result, final } = await submitSampled(MIN_MAX_MESSAGE_SIZE, 'at the limit');
    expect(final, JSON.stringify(result.steps)).toMatchObject({ code: 250 });
    expect(result.size).toBe(MIN_MAX_MESSAGE_SIZE);
  });
});
