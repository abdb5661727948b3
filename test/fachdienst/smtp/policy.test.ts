import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, startTestFachdienst } from '../../support/fachdienst.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import {
  countSubmissions,
  queuedId,
  rawTransaction,
  RawSmtp,
  run,
  simpleMessage,
  sleep,
  status,
  submissionEvents,
} from './support.js';

/**
 * What the Fachdienst refuses, and how: every refusal is checked with its reply code and
 * enhanced status code, at the command where a client sees it. Also protocol-level guarantees
 * (TLS versions, data terminator, greeting latency).
 */
const ALICE = 'alice@a.kim.test';
const BOB = 'bob@a.kim.test';
let fd: TestFachdienst;

beforeAll(async () => {
  fd = await startTestFachdienst({ providerDomains: 'b.kim.test' });
  await fd.addAccount(ALICE);
  await fd.addAccount(BOB);
});

afterAll(async () => {
  await fd?.stop();
});

async function login(user = ALICE): Promise<RawSmtp> {
  return RawSmtp.login(fd.app.ports.smtp, fd.ca, user, PASSWORD);
}

async function withClient<T>(use: (client: RawSmtp) => Promise<T>): Promise<T> {
  const client = await login();
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

describe('envelope and originator rules', () => {
  it('refuses MAIL FROM other than the authenticated address with 550 5.7.1', async () => {
    await withClient(async (client) => {
      const reply = await client.command(`MAIL FROM:<${BOB}>`);
      expect(status(reply)).toBe('550 5.7.1');
      // The same address in other case is the same sender.
      expect(status(await client.command(`MAIL FROM:<${ALICE.toUpperCase()}>`))).toBe('250 -');
    });
  });

  it('refuses a From header that differs from MAIL FROM with 550 5.7.1 at the end of DATA', async () => {
    const before = await countSubmissions(fd);
    await withClient(async (client) => {
      const result = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({ from: BOB, to: BOB, subject: 'forged from' }),
      );
      expect(status(result.mail)).toBe('250 -');
      expect(result.rcpt.map(status)).toEqual(['250 -']);
      expect(result.data?.code).toBe(354);
      expect(status(result.end!)).toBe('550 5.7.1');
      expect(result.end!.text).toMatch(/From address differs/);
      // The connection stays usable for a correct message.
      const next = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({ from: ALICE, to: BOB, subject: 'ok' }),
      );
      expect(status(next.end!)).toBe('250 2.0.0');
    });
    expect(await countSubmissions(fd)).toBe(before + 1);
  });

  it('accepts a foreign From when the only recipient is the sender itself (send-to-self exception)', async () => {
    await withClient(async (client) => {
      const message = simpleMessage({ from: 'clientmodul@example.org', to: ALICE, subject: 'to self' });
      const result = await rawTransaction(client, ALICE, [ALICE], message);
      expect(status(result.end!)).toBe('250 2.0.0');
      // The exception is for exactly one recipient: with a second one the rule applies again.
      const two = await rawTransaction(client, ALICE, [ALICE, BOB], message);
      expect(status(two.end!)).toBe('550 5.7.1');
    });
  });

  it('refuses a Reply-To outside the KIM domains with 550 5.7.1, accepts one inside', async () => {
    await withClient(async (client) => {
      const foreign = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({
          from: ALICE,
          to: BOB,
          subject: 'reply-to',
          extraHeaders: ['Reply-To: <x@example.com>'],
        }),
      );
      expect(status(foreign.end!)).toBe('550 5.7.1');
      expect(foreign.end!.text).toMatch(/Reply-To/);
      const kim = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({
          from: ALICE,
          to: BOB,
          subject: 'reply-to kim',
          extraHeaders: ['Reply-To: Praxis <praxis@arzt.kim.telematik>, <y@b.kim.test>'],
        }),
      );
      expect(status(kim.end!)).toBe('250 2.0.0');
    });
  });
});

describe('originator fields that occur more than once', () => {
  // A client shows one of them, so every occurrence must pass the rules (A_23422).
  it.each([
    ['a second Reply-To outside the KIM domains', ['Reply-To: <y@b.kim.test>', 'Reply-To: <x@example.com>']],
    ['a second From naming another address', ['From: <bob@a.kim.test>']],
    ['a From in the obsolete form "From :" naming another address', ['From :<bob@a.kim.test>']],
    ['a second Sender naming another address', ['Sender: <alice@a.kim.test>', 'Sender: <bob@a.kim.test>']],
  ])('refuses %s with 550 5.7.1', async (_what, extraHeaders) => {
    const before = await countSubmissions(fd);
    await withClient(async (client) => {
      const result = await rawTransaction(
        client,
        ALICE,
        [BOB],
        simpleMessage({ from: ALICE, to: BOB, subject: 'duplicate fields', extraHeaders }),
      );
      expect(status(result.end!)).toBe('550 5.7.1');
    });
    expect(await countSubmissions(fd)).toBe(before);
  });
});

describe('recipients', () => {
  it('refuses a recipient outside the KIM domains with 550 5.7.1 at RCPT', async () => {
    await withClient(async (client) => {
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('250 -');
      expect(status(await client.command('RCPT TO:<x@example.com>'))).toBe('550 5.7.1');
      expect(status(await client.command('RCPT TO:<x@kim.example.com>'))).toBe('550 5.7.1');
    });
  });

  it("accepts a recipient of another KIM provider's domain when that domain is configured", async () => {
    await withClient(async (client) => {
      const result = await rawTransaction(
        client,
        ALICE,
        ['someone@b.kim.test'],
        simpleMessage({ from: ALICE, to: 'someone@b.kim.test', subject: 'provider' }),
      );
      expect(result.rcpt.map(status)).toEqual(['250 -']);
      expect(status(result.end!)).toBe('250 2.0.0');
      const events = await submissionEvents(fd, queuedId(result.end!.text));
      expect(events[0]?.data).toMatchObject({ recipients: [{ address: 'someone@b.kim.test' }] });
    });
  });

  it('refuses an unknown local recipient with 550 5.1.1 at RCPT', async () => {
    await withClient(async (client) => {
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('250 -');
      expect(status(await client.command('RCPT TO:<nobody@a.kim.test>'))).toBe('550 5.1.1');
      expect(status(await client.command(`RCPT TO:<${BOB}>`))).toBe('250 -');
    });
  });
});

describe('authentication is required and limited to PLAIN and LOGIN', () => {
  it('offers only AUTH PLAIN LOGIN and refuses CRAM-MD5 with 504', async () => {
    const client = await RawSmtp.connect(fd.app.ports.smtp, fd.ca);
    try {
      expect((await client.reply()).code).toBe(220);
      const ehlo = await client.command('EHLO client.a.kim.test');
      expect(ehlo.lines).toContain('250-AUTH PLAIN LOGIN');
      expect(ehlo.lines.join('\n')).not.toMatch(/STARTTLS|CRAM-MD5/);
      const cram = await client.command('AUTH CRAM-MD5');
      expect(cram.code).toBe(504);
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('530 5.7.0');
    } finally {
      client.close();
    }
  });

  it('accepts AUTH LOGIN', async () => {
    const client = await RawSmtp.connect(fd.app.ports.smtp, fd.ca);
    try {
      expect((await client.reply()).code).toBe(220);
      expect((await client.command('EHLO client.a.kim.test')).code).toBe(250);
      expect((await client.command('AUTH LOGIN')).code).toBe(334);
      expect((await client.command(Buffer.from(ALICE).toString('base64'))).code).toBe(334);
      expect(status(await client.command(Buffer.from(PASSWORD).toString('base64')))).toBe('235 -');
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('250 -');
    } finally {
      client.close();
    }
  });

  it('answers MAIL before AUTH with 530 5.7.0', async () => {
    const client = await RawSmtp.connect(fd.app.ports.smtp, fd.ca);
    try {
      expect((await client.reply()).code).toBe(220);
      expect((await client.command('EHLO client.a.kim.test')).code).toBe(250);
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('530 5.7.0');
      expect(status(await client.command(`RCPT TO:<${BOB}>`))).toBe('530 5.7.0');
      expect(status(await client.command('DATA'))).toBe('530 5.7.0');
    } finally {
      client.close();
    }
  });
});

describe('TLS', () => {
  it('refuses TLS 1.1 at the handshake and accepts TLS 1.2', async () => {
    const error = await RawSmtp.connect(fd.app.ports.smtp, fd.ca, {
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      // Let the client offer TLS 1.1 at all (OpenSSL 3 disables it at the default level).
      ciphers: 'DEFAULT@SECLEVEL=0',
    }).then(
      (client) => {
        client.close();
        return null;
      },
      (err: unknown) => err as NodeJS.ErrnoException,
    );
    expect(error).not.toBeNull();
    // The server's protocol_version alert, not a client-side configuration error.
    expect(error?.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');

    const tls12 = await RawSmtp.connect(fd.app.ports.smtp, fd.ca, { maxVersion: 'TLSv1.2' });
    try {
      expect(tls12.socket.getProtocol()).toBe('TLSv1.2');
      expect((await tls12.reply()).code).toBe(220);
    } finally {
      tls12.close();
    }
  });

  it('openssl s_client -tls1_1 cannot connect', async () => {
    const result = await run('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${fd.app.ports.smtp}`,
      '-tls1_1',
      '-cipher',
      'DEFAULT@SECLEVEL=0',
      '-CAfile',
      fd.caFile,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout.toString()).not.toContain('220 ');
    expect(result.stderr).toMatch(/alert protocol version|unsupported protocol|no protocols available/i);
  });
});

describe('cipher suites', () => {
  // Same forward-secret AEAD list as the HTTPS port and the Clientmodul (TLS_CIPHERS): a TLS 1.2
  // client that offers only CBC-mode suites gets a handshake failure on both mail ports.
  it.each(['smtp', 'pop3'] as const)('%s refuses a TLS 1.2 client with only CBC suites', async (port) => {
    const offer = async (cipher: string) =>
      run(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${fd.app.ports[port]}`,
          '-tls1_2',
          '-cipher',
          cipher,
          '-CAfile',
          fd.caFile,
        ],
        { timeoutMs: 10_000 },
      );
    const cbc = await offer('ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA');
    expect(cbc.code).not.toBe(0);
    expect(cbc.stderr).toMatch(/handshake failure/i);
    // The same client with a GCM suite gets in (so the refusal above is about the suites).
    const gcm = await RawSmtp.connect(fd.app.ports[port], fd.ca, {
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    try {
      expect(gcm.socket.getCipher().name).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    } finally {
      gcm.close();
    }
  });
});

describe('message boundaries', () => {
  it('stores DATA containing <LF>.<CRLF> and <CRLF>.<LF> followed by commands as ONE message, bare LFs normalised', async () => {
    const before = await countSubmissions(fd);
    const smuggled =
      `From: <${ALICE}>\r\nTo: <${BOB}>\r\nSubject: smuggling\r\n\r\nfirst part\n.\r\n` +
      `MAIL FROM:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nDATA\r\n` +
      `From: <${ALICE}>\r\nSubject: smuggled 1\r\n\r\nsecond part\r\n.\n` +
      `MAIL FROM:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nDATA\r\n` +
      `From: <${ALICE}>\r\nSubject: smuggled 2\r\n\r\nthird part\r\n`;
    await withClient(async (client) => {
      expect(status(await client.command(`MAIL FROM:<${ALICE}>`))).toBe('250 -');
      expect(status(await client.command(`RCPT TO:<${BOB}>`))).toBe('250 -');
      expect((await client.command('DATA')).code).toBe(354);
      client.write(`${smuggled}.\r\n`);
      const end = await client.reply(10_000);
      expect(status(end)).toBe('250 2.0.0');
      // Nothing else is answered: no smuggled MAIL/RCPT/DATA ran.
      await sleep(300);
      expect(status(await client.command('NOOP'))).toMatch(/^250 /);
      expect((await client.command('QUIT')).code).toBe(221);

      const events = await submissionEvents(fd, queuedId(end.text));
      const ref = events.find((e) => e.type === 'accepted')?.data['blobRef'] as string;
      const chunks: Buffer[] = [];
      for await (const chunk of fd.app.blobs.get(ref)) chunks.push(chunk as Buffer);
      // One message, with its bare LFs turned into CRLF (as Postfix's normalize does).
      expect(Buffer.concat(chunks).toString('latin1')).toBe(smuggled.replace(/(?<!\r)\n/g, '\r\n'));
    });
    expect(await countSubmissions(fd)).toBe(before + 1);
  });
});

describe('greeting', () => {
  it('sends the 220 greeting within 20 ms of the TLS handshake (median of 20 connections)', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const client = await RawSmtp.connect(fd.app.ports.smtp, fd.ca);
      try {
        const greeting = await client.reply();
        expect(greeting.code).toBe(220);
        latencies.push(client.firstByteAt! - client.connectedAt);
      } finally {
        client.close();
      }
    }
    latencies.sort((a, b) => a - b);
    const median = ((latencies[9] ?? 0) + (latencies[10] ?? 0)) / 2;
    console.info(
      `greeting latency after handshake: median ${median.toFixed(2)} ms, max ${latencies[19]?.toFixed(2)} ms`,
    );
    expect(median).toBeLessThan(20);
  });
});
