/**
 * The SMTP proxy when the Fachdienst connection fails: a TCP relay between proxy and a real
 * Fachdienst cuts, freezes or refuses connections at chosen moments.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpProxy } from '../../../src/clientmodul/smtp/proxy.js';
import type { RunningSmtpProxy, SmtpProxyOptions } from '../../../src/clientmodul/smtp/proxy.js';
import { silentLogger } from '../../../src/logging/logger.js';
import {
  countSubmissions,
  RawSmtp,
  rawTransaction,
  simpleMessage,
  status,
} from '../../fachdienst/smtp/support.js';
import { addr, drainMailbox, PASSWORD, settled, sleep, startStack, TcpRelay } from '../support.js';
import type { Stack } from '../support.js';

const ALICE = addr('alice');
const BOB = addr('bob');

let stack: Stack;
let relay: TcpRelay;
let proxy: RunningSmtpProxy;

beforeAll(async () => {
  stack = await startStack({ accounts: [ALICE, BOB] });
});

afterAll(async () => {
  await stack.stop();
});

afterEach(async () => {
  await proxy.close();
  await relay.close();
});

/** A proxy whose Fachdienst is reached through a fresh relay. */
async function proxyThroughRelay(options: Partial<SmtpProxyOptions> = {}): Promise<void> {
  relay = await TcpRelay.start(stack.fd.app.ports.smtp);
  proxy = await startSmtpProxy({
    port: 0,
    tls: { key: stack.pki.key, cert: stack.pki.cert },
    upstream: { host: '127.0.0.1', port: relay.port, ca: stack.pki.ca },
    processor: stack.outgoing,
    logger: silentLogger(),
    ...options,
  });
}

/** `#*#`: the proxy's default Fachdienst, i.e. the relay. */
const login = (): Promise<RawSmtp> =>
  RawSmtp.login(proxy.port, stack.pki.ca, `${ALICE}#*#1#KOM_LE#7`, PASSWORD);
const message = (subject: string): string => simpleMessage({ from: ALICE, to: BOB, subject });

describe('SMTP proxy: Fachdienst connection', () => {
  it('keeps one Fachdienst connection for the session and opens a new one when it dropped', async () => {
    await proxyThroughRelay();
    const client = await login();
    expect(status((await rawTransaction(client, ALICE, [BOB], message('one'))).end!)).toBe('250 2.0.0');
    expect(status((await rawTransaction(client, ALICE, [BOB], message('two'))).end!)).toBe('250 2.0.0');
    expect(relay.accepted).toBe(1);
    relay.cut();
    expect(status((await rawTransaction(client, ALICE, [BOB], message('three'))).end!)).toBe('250 2.0.0');
    expect(relay.accepted).toBe(2);
    // The client's QUIT ends the Fachdienst session too.
    expect((await client.command('QUIT')).code).toBe(221);
    for (let i = 0; relay.open > 0 && i < 100; i++) await sleep(20);
    expect(relay.open).toBe(0);
    client.close();
    const received = await drainMailbox(stack.fd, stack.pki.ca, BOB);
    expect(received.map((m) => /Subject: (\w+)/.exec(m.toString())?.[1])).toEqual(['one', 'two', 'three']);
  });

  it('answers 454 4.7.0 to AUTH when the Fachdienst cannot be reached', async () => {
    await proxyThroughRelay();
    await relay.close();
    const client = await RawSmtp.connect(proxy.port, stack.pki.ca);
    await client.reply();
    await client.command('EHLO client.example');
    expect(status(await client.authPlain(ALICE, PASSWORD))).toBe('454 4.7.0');
    client.close();
  });

  it('answers 451 4.4.1 when the Fachdienst is gone after the login, and sends nothing', async () => {
    await proxyThroughRelay();
    const before = await countSubmissions(stack.fd);
    const client = await login();
    await relay.close();
    const result = await rawTransaction(client, ALICE, [BOB], message('lost'));
    expect(status(result.end!)).toBe('451 4.4.1');
    client.close();
    await settled(stack.fd);
    expect(await countSubmissions(stack.fd)).toBe(before);
  });

  it('sends no half message when the connection breaks during DATA (451 4.4.2)', async () => {
    await proxyThroughRelay();
    relay.cutAfter(200 * 1024);
    const before = await countSubmissions(stack.fd);
    const client = await login();
    const big = simpleMessage({
      from: ALICE,
      to: BOB,
      subject: 'big',
      body: 'x'.repeat(76).concat('\r\n').repeat(20_000),
    });
    const result = await rawTransaction(client, ALICE, [BOB], big);
    expect(status(result.end!)).toBe('451 4.4.2');
    client.close();
    await settled(stack.fd);
    expect(await countSubmissions(stack.fd)).toBe(before);
    expect(await drainMailbox(stack.fd, stack.pki.ca, BOB)).toEqual([]);
  });

  it('answers 421 4.4.2 and closes when the Fachdienst stops answering (KOM-LE-A_2016)', async () => {
    await proxyThroughRelay({ upstreamTimeoutMs: 1_000 });
    const before = await countSubmissions(stack.fd);
    const client = await login();
    relay.freeze();
    const result = await rawTransaction(client, ALICE, [BOB], message('frozen'));
    expect(status(result.end!)).toBe('421 4.4.2');
    await client.waitClosed();
    await settled(stack.fd);
    expect(await countSubmissions(stack.fd)).toBe(before);
  });
});
