import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import {
  queuedId,
  retrieveWithPoplib,
  run,
  Scratch,
  sha256,
  simpleMessage,
  stripTrace,
  submissionEvents,
  submitWithSmtplib,
  waitForDelivery,
} from './support.js';

/**
 * Real SMTP clients submit over SMTPS with AUTH PLAIN; the recipient then retrieves the message
 * over POP3 and gets exactly the submitted bytes behind the trace fields the Fachdienst adds.
 */
const ALICE = 'alice@a.kim.test';
let fd: TestFachdienst;
let scratch: Scratch;

beforeAll(async () => {
  fd = await startTestFachdienst();
  scratch = new Scratch();
  for (const user of [ALICE, 'carol@a.kim.test', 'dave@a.kim.test', 'erin@a.kim.test', 'frank@a.kim.test'])
    await fd.addAccount(user);
});

afterAll(async () => {
  await fd?.stop();
  scratch?.cleanup();
});

/** The only message in `recipient`'s maildrop, without the trace fields; checks those fields. */
async function delivered(recipient: string, submissionId: string): Promise<Buffer> {
  await waitForDelivery(fd, submissionId);
  const messages = await retrieveWithPoplib(scratch, fd, recipient, PASSWORD);
  expect(messages).toHaveLength(1);
  const { trace, body } = stripTrace(readFileSync(messages[0]!.path));
  expect(trace).toMatch(
    new RegExp(`^Return-Path: <${ALICE}>\r\nReceived: from \\S+ \\(\\[127\\.0\\.0\\.1\\]\\)\r\n`),
  );
  expect(trace).toContain(`with ESMTPSA (TLSv1.3) id ${submissionId}`);
  expect(trace).toContain(`for <${recipient}>;`);
  return body;
}

describe('real clients deliver over SMTPS', () => {
  it('Python smtplib.SMTP_SSL: the recipient retrieves the message byte-exact', async () => {
    const message = simpleMessage({ from: ALICE, to: 'carol@a.kim.test', subject: 'smtplib' });
    const result = await submitWithSmtplib(scratch, {
      port: fd.app.ports.smtp,
      cafile: fd.caFile,
      user: ALICE,
      password: PASSWORD,
      from: ALICE,
      to: ['carol@a.kim.test'],
      file: scratch.write('smtplib.eml', message),
    });
    const data = result.steps.find((s) => s.step === 'data');
    expect(data, JSON.stringify(result.steps)).toMatchObject({ code: 250 });
    const body = await delivered('carol@a.kim.test', queuedId(data?.text));
    expect(body.toString('latin1')).toBe(message);
  });

  it('curl smtps:// with --upload-file: the recipient retrieves the message byte-exact', async () => {
    const message = simpleMessage({ from: ALICE, to: 'dave@a.kim.test', subject: 'curl' });
    const file = scratch.write('curl.eml', message);
    const result = await run('curl', [
      '--silent',
      '--show-error',
      '--verbose',
      '--ssl-reqd',
      '--cacert',
      fd.caFile,
      '--url',
      `smtps://localhost:${fd.app.ports.smtp}`,
      '--user',
      `${ALICE}:${PASSWORD}`,
      '--mail-from',
      ALICE,
      '--mail-rcpt',
      'dave@a.kim.test',
      '--upload-file',
      file,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const final = /< 250 2\.0\.0 Ok: queued as (\S+)/.exec(result.stderr);
    expect(final, result.stderr).not.toBeNull();
    const body = await delivered('dave@a.kim.test', final![1]!);
    expect(body.toString('latin1')).toBe(message);
  });

  it('nodemailer (secure: true, raw message): the recipient retrieves the message byte-exact', async () => {
    const message = simpleMessage({ from: ALICE, to: 'erin@a.kim.test', subject: 'nodemailer' });
    const transport = nodemailer.createTransport({
      host: 'localhost',
      port: fd.app.ports.smtp,
      secure: true,
      tls: { ca: fd.ca },
      auth: { user: ALICE, pass: PASSWORD },
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: ALICE, to: ['erin@a.kim.test'] },
        raw: message,
      });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
      const body = await delivered('erin@a.kim.test', queuedId(info.response));
      expect(body.toString('latin1')).toBe(message);
    } finally {
      transport.close();
    }
  });
});

describe('durability contract', () => {
  it('after the 250, the submission stream has an accepted event whose blob holds the message', async () => {
    const message = simpleMessage({ from: ALICE, to: 'frank@a.kim.test', subject: 'durable' });
    const result = await submitWithSmtplib(scratch, {
      port: fd.app.ports.smtp,
      cafile: fd.caFile,
      user: ALICE,
      password: PASSWORD,
      from: ALICE,
      to: ['frank@a.kim.test'],
      file: scratch.write('durable.eml', message),
    });
    const data = result.steps.find((s) => s.step === 'data');
    expect(data, JSON.stringify(result.steps)).toMatchObject({ code: 250 });
    const id = queuedId(data?.text);

    // Read at once, without waiting for projections or delivery: the 250 promised durability.
    const events = await submissionEvents(fd, id);
    const accepted = events.find((e) => e.type === 'accepted');
    expect(accepted, events.map((e) => e.type).join()).toBeDefined();
    expect(accepted!.data).toMatchObject({
      submissionId: id,
      sender: ALICE,
      authUser: ALICE,
      recipients: [{ address: 'frank@a.kim.test' }],
      size: Buffer.byteLength(message),
    });
    const ref = accepted!.data['blobRef'] as string;
    expect(ref).toBe(sha256(message));
    expect(await fd.app.blobs.has(ref)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const chunk of fd.app.blobs.get(ref)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('latin1')).toBe(message);
  });
});
