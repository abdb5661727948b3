/**
 * The SMTP proxy in front of a real Fachdienst, driven by a raw SMTP client over TLS (exact
 * replies); what arrived is read directly from the Fachdienst.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpProxy } from '../../../src/clientmodul/smtp/proxy.js';
import type { RunningSmtpProxy } from '../../../src/clientmodul/smtp/proxy.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { freePort } from '../../support/fachdienst.js';
import {
  countSubmissions,
  queuedId,
  RawSmtp,
  rawTransaction,
  simpleMessage,
  status,
  submissionEvents,
  waitForDelivery,
} from '../../fachdienst/smtp/support.js';
import { appendHeader, dropRecipient, refuse, SEALED_HEADER, sealThrows } from '../processors.js';
import {
  addr,
  clientUsername,
  drainMailbox,
  PASSWORD,
  settled,
  startStack,
  withoutTrace,
} from '../support.js';
import type { Stack } from '../support.js';

const ALICE = addr('alice');
const BOB = addr('bob');
const CAROL = addr('carol');
const DAVE = addr('dave');

let stack: Stack;
let user: string;

beforeAll(async () => {
  stack = await startStack({ accounts: [ALICE, BOB, CAROL, DAVE] });
  user = clientUsername(ALICE, stack.fd.app.ports.smtp);
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(() => {
  stack.outgoing.handler = appendHeader;
});

const login = (username = user): Promise<RawSmtp> =>
  RawSmtp.login(stack.smtp.port, stack.pki.ca, username, PASSWORD);

const mailbox = (address: string): Promise<Buffer[]> => drainMailbox(stack.fd, stack.pki.ca, address);

describe('SMTP proxy: session', () => {
  it('greets and announces what KIM prescribes (Tab_SMTP_Ant_Init)', async () => {
    const client = await RawSmtp.connect(stack.smtp.port, stack.pki.ca);
    const greeting = await client.reply();
    expect(greeting.code).toBe(220);
    expect(greeting.text).toContain('ESMTP');
    const ehlo = await client.command('EHLO client.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines.slice(1).sort()).toEqual(
      [
        '250-8BITMIME',
        '250-AUTH PLAIN LOGIN',
        '250-DSN',
        '250-ENHANCEDSTATUSCODES',
        `250 SIZE ${36 * 1024 * 1024}`,
      ].sort(),
    );
    expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('530 5.7.0');
    expect(status(await client.command('NOOP'))).toBe('250 2.0.0');
    expect((await client.command('QUIT')).code).toBe(221);
    client.close();
  });

  it('logs in at the Fachdienst with the plain address and sends through the message pipeline', async () => {
    const client = await login();
    const message = simpleMessage({ from: ALICE, to: BOB, subject: 'through the proxy' });
    const result = await rawTransaction(client, ALICE, [BOB], message);
    expect(status(result.mail)).toBe('250 2.1.0');
    expect(status(result.rcpt[0]!)).toBe('250 2.1.5');
    expect(status(result.end!)).toBe('250 2.0.0');
    await waitForDelivery(stack.fd, queuedId(result.end?.text));
    client.close();

    const request = stack.outgoing.requests.at(-1)!;
    expect(request.sender).toBe(ALICE);
    expect(request.recipients).toEqual([BOB]);
    expect(Buffer.concat(request.mail).toString()).toBe(message);
    const [received] = await mailbox(BOB);
    expect(withoutTrace(received!).toString()).toBe(SEALED_HEADER + message);
  });

  it('sends several messages in one session', async () => {
    const client = await login();
    for (const subject of ['first', 'second', 'third']) {
      const result = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({ from: ALICE, to: BOB, subject }),
      );
      expect(status(result.end!)).toBe('250 2.0.0');
    }
    client.close();
    const received = await mailbox(BOB);
    expect(received.map((m) => /Subject: (\w+)/.exec(m.toString())?.[1])).toEqual([
      'first',
      'second',
      'third',
    ]);
  });

  it('passes DSN parameters on to the Fachdienst (RFC 3461)', async () => {
    const client = await login();
    expect((await client.command(`MAIL FROM:<${ALICE}> RET=HDRS ENVID=env+2Bid`)).code).toBe(250);
    const orcpt = `rfc822;${BOB}`;
    expect((await client.command(`RCPT TO:<${BOB}> NOTIFY=SUCCESS,FAILURE ORCPT=${orcpt}`)).code).toBe(250);
    expect((await client.command('DATA')).code).toBe(354);
    client.write(`${simpleMessage({ from: ALICE, to: BOB, subject: 'dsn' })}.\r\n`);
    const end = await client.reply();
    client.close();
    const accepted = (await submissionEvents(stack.fd, queuedId(end.text))).find(
      (e) => e.type === 'accepted',
    );
    expect(accepted?.data).toMatchObject({
      envelopeId: 'env+id',
      ret: 'HDRS',
      recipients: [{ address: BOB, notify: ['SUCCESS', 'FAILURE'], orcpt }],
    });
    await mailbox(BOB);
  });

  it('answers MAIL and RCPT itself: the Fachdienst sees nothing before the message was processed', async () => {
    const before = await countSubmissions(stack.fd);
    const client = await login();
    expect((await client.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
    // Unknown at the Fachdienst, still accepted here: the answer comes after DATA.
    expect(status(await client.command(`RCPT TO:<nobody@${'a.kim.test'}>`))).toBe('250 2.1.5');
    expect((await client.command('RSET')).code).toBe(250);
    expect((await client.command('QUIT')).code).toBe(221);
    client.close();
    expect(await countSubmissions(stack.fd)).toBe(before);
  });
});

describe('SMTP proxy: login', () => {
  it('refuses a wrong password with 535 5.7.8 (the Fachdienst decides) and accepts the right one after', async () => {
    const client = await RawSmtp.connect(stack.smtp.port, stack.pki.ca);
    await client.reply();
    await client.command('EHLO client.example');
    expect(status(await client.authPlain(clientUsername(DAVE, stack.fd.app.ports.smtp), 'wrong'))).toBe(
      '535 5.7.8',
    );
    expect(status(await client.authPlain(clientUsername(DAVE, stack.fd.app.ports.smtp), PASSWORD))).toBe(
      '235 2.7.0',
    );
    client.close();
  });

  it('refuses a malformed username with 501 5.5.4 and says why', async () => {
    const client = await RawSmtp.connect(stack.smtp.port, stack.pki.ca);
    await client.reply();
    await client.command('EHLO client.example');
    const reply = await client.authPlain(`${ALICE}#127.0.0.1:465#1`, PASSWORD);
    expect(status(reply)).toBe('501 5.5.4');
    expect(reply.text).toContain('address#host:port#MandantId#ClientsystemId#WorkplaceId');
    client.close();
  });

  it('closes the connection after the third failed login', async () => {
    const client = await RawSmtp.connect(stack.smtp.port, stack.pki.ca);
    await client.reply();
    await client.command('EHLO client.example');
    expect((await client.authPlain('not-an-address', PASSWORD)).code).toBe(501);
    expect((await client.authPlain('still#not', PASSWORD)).code).toBe(501);
    expect(status(await client.authPlain('#', PASSWORD))).toBe('421 4.7.0');
    await client.waitClosed();
  });

  it('supports AUTH LOGIN', async () => {
    const client = await RawSmtp.connect(stack.smtp.port, stack.pki.ca);
    await client.reply();
    await client.command('EHLO client.example');
    expect((await client.command('AUTH LOGIN')).code).toBe(334);
    expect((await client.command(Buffer.from(user).toString('base64'))).code).toBe(334);
    expect(status(await client.command(Buffer.from(PASSWORD).toString('base64')))).toBe('235 2.7.0');
    client.close();
  });

  it('accepts a plain address and then uses the default Fachdienst', async () => {
    const client = await login(ALICE);
    const result = await rawTransaction(
      client,
      ALICE,
      [BOB],
      simpleMessage({ from: ALICE, to: BOB, subject: 'plain' }),
    );
    expect(status(result.end!)).toBe('250 2.0.0');
    client.close();
    expect(await mailbox(BOB)).toHaveLength(1);
  });

  it('uses the Fachdienst named in the username over the default', async () => {
    const proxy = await startSmtpProxy({
      port: 0,
      tls: { key: stack.pki.key, cert: stack.pki.cert },
      upstream: { host: '127.0.0.1', port: await freePort(), ca: stack.pki.ca },
      processor: stack.outgoing,
      logger: silentLogger(),
    });
    try {
      const plain = await RawSmtp.connect(proxy.port, stack.pki.ca);
      await plain.reply();
      await plain.command('EHLO client.example');
      // Nothing listens on the default: Tab_SMTP_Verbindung "MTA unreachable".
      expect(status(await plain.authPlain(ALICE, PASSWORD))).toBe('454 4.7.0');
      plain.close();

      const named = await RawSmtp.login(proxy.port, stack.pki.ca, user, PASSWORD);
      const result = await rawTransaction(
        named,
        ALICE,
        [BOB],
        simpleMessage({ from: ALICE, to: BOB, subject: 'named' }),
      );
      expect(status(result.end!)).toBe('250 2.0.0');
      named.close();
      expect(await mailbox(BOB)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('SMTP proxy: sender and message checks', () => {
  it('refuses MAIL FROM other than the login address with 550 5.7.1 (case does not matter)', async () => {
    const client = await login();
    expect(status(await client.command(`MAIL FROM:<${BOB}>`))).toBe('550 5.7.1');
    expect(status(await client.command('MAIL FROM:<>'))).toBe('550 5.7.1');
    expect(status(await client.command(`MAIL FROM:<${ALICE.toUpperCase()}>`))).toBe('250 2.1.0');
    client.close();
  });

  it('passes a refusal of the message pipeline to the client, and nothing is sent', async () => {
    stack.outgoing.handler = refuse(553, '5.1.8', 'No encryption certificate for the sender');
    const before = await countSubmissions(stack.fd);
    const client = await login();
    const result = await rawTransaction(
      client,
      ALICE,
      [BOB],
      simpleMessage({ from: ALICE, to: BOB, subject: 'x' }),
    );
    expect(status(result.end!)).toBe('553 5.1.8');
    expect(result.end?.text).toBe('No encryption certificate for the sender');
    // The session goes on.
    stack.outgoing.handler = appendHeader;
    const next = await rawTransaction(
      client,
      ALICE,
      [BOB],
      simpleMessage({ from: ALICE, to: BOB, subject: 'y' }),
    );
    expect(status(next.end!)).toBe('250 2.0.0');
    client.close();
    expect(await countSubmissions(stack.fd)).toBe(before + 1);
    expect(await mailbox(BOB)).toHaveLength(1);
  });

  it('answers 451 4.3.0 when the message pipeline fails, and nothing is sent', async () => {
    stack.outgoing.handler = sealThrows;
    const before = await countSubmissions(stack.fd);
    const client = await login();
    const result = await rawTransaction(
      client,
      ALICE,
      [BOB],
      simpleMessage({ from: ALICE, to: BOB, subject: 'x' }),
    );
    expect(status(result.end!)).toBe('451 4.3.0');
    client.close();
    expect(await countSubmissions(stack.fd)).toBe(before);
  });

  it('sends to the recipients left and the error mail of the pipeline to the sender', async () => {
    stack.outgoing.handler = dropRecipient(CAROL);
    const client = await login();
    const result = await rawTransaction(
      client,
      ALICE,
      [BOB, CAROL],
      simpleMessage({ from: ALICE, to: BOB, subject: 'dropped' }),
    );
    expect(status(result.end!)).toBe('250 2.0.0');
    client.close();
    await settled(stack.fd);
    expect(stack.outgoing.requests.at(-1)?.recipients).toEqual([BOB, CAROL]);
    const [toBob] = await mailbox(BOB);
    expect(toBob?.toString()).toContain('Subject: dropped');
    expect(await mailbox(CAROL)).toEqual([]);
    const [errorMail, ...more] = await mailbox(ALICE);
    expect(more).toEqual([]);
    expect(errorMail?.toString()).toContain('X-KIM-Fehlermeldung: 4004');
    expect(errorMail?.toString()).toContain(`No usable certificate for ${CAROL}.`);
  });

  it('sends to the recipients the Fachdienst knows and reports the others to the sender', async () => {
    const nobody = addr('nobody');
    const client = await login();
    const message = simpleMessage({ from: ALICE, to: BOB, subject: 'partly' });
    const result = await rawTransaction(client, ALICE, [nobody, BOB], message);
    expect(status(result.end!)).toBe('250 2.0.0');
    client.close();
    await settled(stack.fd);
    expect(await mailbox(BOB)).toHaveLength(1);
    const [report] = await mailbox(ALICE);
    const text = report!.toString();
    expect(text).toContain('Content-Type: multipart/report; report-type=delivery-status');
    expect(text).toContain(`Final-Recipient: rfc822;${nobody}`);
    expect(text).toContain('Status: 5.1.1');
    expect(text).toContain('X-KIM-Fehlermeldung: X5001');
    const messageId = /^Message-ID: (\S+)/m.exec(message)?.[1];
    expect(text).toContain(`In-Reply-To: ${messageId}`);
    expect(text).not.toContain('Hallo');
  });

  it('passes the refusal on when the Fachdienst accepts no recipient, and nothing is sent', async () => {
    const before = await countSubmissions(stack.fd);
    const client = await login();
    const result = await rawTransaction(
      client,
      ALICE,
      [addr('nobody'), addr('noone')],
      simpleMessage({ from: ALICE, to: BOB, subject: 'nobody' }),
    );
    expect(status(result.end!)).toBe('550 5.1.1');
    expect(result.end?.text).toMatch(/^Fachdienst: /);
    client.close();
    await settled(stack.fd);
    expect(await countSubmissions(stack.fd)).toBe(before);
    expect(await mailbox(ALICE)).toEqual([]);
  });
});

describe('SMTP proxy: size limit', () => {
  let small: RunningSmtpProxy;

  beforeAll(async () => {
    small = await startSmtpProxy({
      port: 0,
      tls: { key: stack.pki.key, cert: stack.pki.cert },
      upstream: { host: '127.0.0.1', port: stack.fd.app.ports.smtp, ca: stack.pki.ca },
      processor: stack.outgoing,
      logger: silentLogger(),
      maxMailSize: 64 * 1024,
    });
  });

  afterAll(async () => {
    await small.close();
  });

  it('refuses a message over the limit with 552 5.3.4 and keeps the session', async () => {
    const before = stack.outgoing.requests.length;
    const client = await RawSmtp.login(small.port, stack.pki.ca, user, PASSWORD);
    const big = simpleMessage({
      from: ALICE,
      to: BOB,
      subject: 'big',
      body: 'x'.repeat(76).concat('\r\n').repeat(1000),
    });
    const result = await rawTransaction(client, ALICE, [BOB], big);
    expect(status(result.end!)).toBe('552 5.3.4');
    expect(stack.outgoing.requests.length).toBe(before);
    // A declared size over the limit is refused at MAIL FROM already.
    expect(status(await client.command(`MAIL FROM:<${ALICE}> SIZE=${128 * 1024}`))).toBe('552 5.3.4');
    const ok = await rawTransaction(
      client,
      ALICE,
      [BOB],
      simpleMessage({ from: ALICE, to: BOB, subject: 'small' }),
    );
    expect(status(ok.end!)).toBe('250 2.0.0');
    client.close();
    expect(await mailbox(BOB)).toHaveLength(1);
  });
});
