/**
 * The POP3 proxy when the Fachdienst connection fails after the login: a TCP relay between the
 * proxy and a real Fachdienst cuts or freezes it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPop3Proxy } from '../../../src/clientmodul/pop3/proxy.js';
import type { Pop3ProxyOptions, RunningPop3Proxy } from '../../../src/clientmodul/pop3/proxy.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { addr, PASSWORD, Pop3Raw, sleep, startStack, TcpRelay } from '../support.js';
import type { Stack } from '../support.js';

const BOB = addr('bob');

let stack: Stack;
let relay: TcpRelay;
let proxy: RunningPop3Proxy;

beforeAll(async () => {
  stack = await startStack({ accounts: [BOB] });
});

afterAll(async () => {
  await stack.stop();
});

afterEach(async () => {
  await proxy.close();
  await relay.close();
});

async function loginThroughRelay(options: Partial<Pop3ProxyOptions> = {}): Promise<Pop3Raw> {
  relay = await TcpRelay.start(stack.fd.app.ports.pop3);
  proxy = await startPop3Proxy({
    port: 0,
    tls: { key: stack.pki.key, cert: stack.pki.cert },
    upstream: { host: '127.0.0.1', port: relay.port, ca: stack.pki.ca },
    processor: stack.incoming,
    logger: silentLogger(),
    ...options,
  });
  return Pop3Raw.loggedIn(proxy.port, stack.pki.ca, BOB, PASSWORD);
}

describe('POP3 proxy: Fachdienst connection', () => {
  it('tells an idle client when the Fachdienst connection is lost, and closes', async () => {
    const client = await loginThroughRelay();
    expect(await client.command('STAT')).toMatch(/^\+OK 0 0$/);
    relay.cut();
    expect(await client.line()).toBe('-ERR [SYS/TEMP] Connection to the Fachdienst lost, try again later');
    await client.waitClosed();
    for (let i = 0; proxy.connections > 0 && i < 100; i++) await sleep(20);
    expect(proxy.connections).toBe(0);
  });

  it('answers -ERR [SYS/TEMP] and closes when the Fachdienst stops answering', async () => {
    const client = await loginThroughRelay({ upstreamTimeoutMs: 500 });
    relay.freeze();
    expect(await client.command('STAT')).toBe('-ERR [SYS/TEMP] timeout waiting for the Fachdienst');
    await client.waitClosed();
  });
});
