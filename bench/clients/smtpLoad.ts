import type { SecureContext } from 'node:tls';
import { WireClient } from './wire.js';

export interface SmtpJob {
  readonly from: string;
  readonly to: string;
  readonly password: string;
  /** The message, already dot-stuffed and terminated. */
  readonly data: Buffer;
}

/** One message on a new connection: greeting, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT. */
export async function sendOne(port: number, tls: SecureContext, job: SmtpJob): Promise<number> {
  const start = performance.now();
  const c = await WireClient.open(port, tls);
  try {
    await c.smtpReply('220');
    c.write('EHLO bench.local\r\n');
    await c.smtpReply('250');
    c.write(`AUTH PLAIN ${Buffer.from(`\0${job.from}\0${job.password}`).toString('base64')}\r\n`);
    await c.smtpReply('235');
    c.write(`MAIL FROM:<${job.from}>\r\n`);
    await c.smtpReply('250');
    c.write(`RCPT TO:<${job.to}>\r\n`);
    await c.smtpReply('250');
    c.write('DATA\r\n');
    await c.smtpReply('354');
    c.write(job.data);
    await c.smtpReply('250');
    c.write('QUIT\r\n');
    await c.smtpReply('221').catch(() => undefined);
  } finally {
    c.close();
  }
  return performance.now() - start;
}

/** Send `jobs` over `parallel` concurrent connection loops; returns per-message latencies. */
export async function sendAll(
  port: number,
  tls: SecureContext,
  jobs: readonly SmtpJob[],
  parallel: number,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < jobs.length; i = next++) {
        const job = jobs[i];
        if (job !== undefined) latencies.push(await sendOne(port, tls, job));
      }
    }),
  );
  return latencies;
}
