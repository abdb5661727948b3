/**
 * The Clientmodul test stack: a development PKI made here, a real Fachdienst (in this process)
 * using it, and the SMTP and POP3 proxies in front of it with scripted message processors.
 * Clients are real (Python smtplib/poplib as child processes) or raw TLS clients that see the
 * exact bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket as NetSocket } from 'node:net';
import { createDevPki } from '../../adapters/tls/index.js';
import { startPop3Proxy } from '../../src/clientmodul/pop3/proxy.js';
import type { Pop3ProxyOptions, RunningPop3Proxy } from '../../src/clientmodul/pop3/proxy.js';
import { startSmtpProxy } from '../../src/clientmodul/smtp/proxy.js';
import type { RunningSmtpProxy, SmtpProxyOptions } from '../../src/clientmodul/smtp/proxy.js';
import { silentLogger } from '../../src/logging/logger.js';
import { DOMAIN, PASSWORD, startTestFachdienst } from '../support/fachdienst.js';
import type { TestFachdienst } from '../support/fachdienst.js';
import { Pop3Raw } from '../support/pop3Raw.js';
import { ScriptedIncoming, ScriptedOutgoing } from './processors.js';

export { Pop3Raw };

export { DOMAIN, PASSWORD };
export const addr = (local: string): string => `${local}@${DOMAIN}`;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Pki {
  readonly dir: string;
  readonly ca: string;
  readonly caFile: string;
  readonly key: string;
  readonly cert: string;
  cleanup(): void;
}

/** A development PKI (CA + server certificate for localhost/127.0.0.1) in a temp dir. */
export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'kim-cm-pki-'));
  const pki = await createDevPki(dir, { domains: [DOMAIN] });
  return {
    dir,
    ca: readFileSync(pki.ca.cert, 'utf8'),
    caFile: pki.ca.cert,
    key: readFileSync(pki.server.key, 'utf8'),
    cert: readFileSync(pki.server.cert, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A Fachdienst on the test PKI. */
export function startFachdienst(
  pki: Pki,
  options: { data?: string; smtpPort?: number; pop3Port?: number } = {},
) {
  return startTestFachdienst({
    pki: pki.dir,
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.smtpPort === undefined ? {} : { smtpPort: String(options.smtpPort) }),
    ...(options.pop3Port === undefined ? {} : { pop3Port: String(options.pop3Port) }),
  });
}

export interface Stack {
  readonly pki: Pki;
  readonly fd: TestFachdienst;
  readonly smtp: RunningSmtpProxy;
  readonly pop3: RunningPop3Proxy;
  readonly outgoing: ScriptedOutgoing;
  readonly incoming: ScriptedIncoming;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly accounts: readonly string[];
  readonly smtp?: Partial<SmtpProxyOptions>;
  readonly pop3?: Partial<Pop3ProxyOptions>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const pki = await makePki();
  const fd = await startFachdienst(pki);
  for (const account of options.accounts) await fd.addAccount(account);
  const outgoing = new ScriptedOutgoing();
  const incoming = new ScriptedIncoming();
  const smtp = await startSmtpProxy({
    port: 0,
    tls: { key: pki.key, cert: pki.cert },
    upstream: { host: '127.0.0.1', port: fd.app.ports.smtp, ca: pki.ca },
    processor: outgoing,
    logger: silentLogger(),
    hostname: 'cm.a.kim.test',
    ...options.smtp,
  });
  const pop3 = await startPop3Proxy({
    port: 0,
    tls: { key: pki.key, cert: pki.cert },
    upstream: { host: '127.0.0.1', port: fd.app.ports.pop3, ca: pki.ca },
    processor: incoming,
    logger: silentLogger(),
    hostname: 'cm.a.kim.test',
    ...options.pop3,
  });
  return {
    pki,
    fd,
    smtp,
    pop3,
    outgoing,
    incoming,
    async stop() {
      await Promise.all([smtp.close(), pop3.close()]);
      await fd.stop();
      pki.cleanup();
    },
  };
}

/** A client username naming the Fachdienst explicitly (`address#host:port#1#KOM_LE#7`). */
export function clientUsername(address: string, port: number, extra = ''): string {
  return `${address}#127.0.0.1:${port}#1#KOM_LE#7${extra}`;
}

/** Python prelude addition: POP3 login through the proxy, retried while the maildrop is [IN-USE]. */
export const PY_POP_LOGIN = String.raw`
def pop_login(port, user, password):
    for attempt in range(100):
        p = poplib.POP3_SSL('localhost', port, context=CTX, timeout=120)
        try:
            p.user(user)
            p.pass_(password)
            return p
        except poplib.error_proto as e:
            p.close()
            if b'IN-USE' not in e.args[0] or attempt == 99:
                raise
            time.sleep(0.05)
`;

/** Un-stuffs a multi-line body (as Pop3Raw.body returns it) into the message it carries. */
export function unstuff(body: Buffer): Buffer {
  const text = body.toString('latin1');
  const content = text === '.\r\n' ? '' : text.slice(0, -3);
  return Buffer.from(content.replace(/(^|\r\n)\./g, '$1'), 'latin1');
}

/** Waits until the Fachdienst has delivered everything accepted so far. */
export async function settled(fd: TestFachdienst, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    await fd.settle();
    const head = await fd.app.store.headPosition();
    if (fd.app.delivery.pendingCount() === 0) {
      await sleep(20);
      await fd.settle();
      if ((await fd.app.store.headPosition()) === head && fd.app.delivery.pendingCount() === 0) return;
    }
    if (Date.now() > until) throw new Error('the Fachdienst did not settle');
    await sleep(20);
  }
}

/**
 * Every message of a mailbox, read directly from the Fachdienst (not through the proxy) and
 * deleted there, so each test starts with empty mailboxes.
 */
export async function drainMailbox(fd: TestFachdienst, ca: string, address: string): Promise<Buffer[]> {
  await settled(fd);
  const client = await Pop3Raw.loggedIn(fd.app.ports.pop3, ca, address, PASSWORD);
  const stat = await client.command('STAT');
  const count = Number(stat.split(' ')[1]);
  const messages: Buffer[] = [];
  for (let n = 1; n <= count; n++) {
    const { status, body } = await client.multiBody(`RETR ${n}`);
    if (!status.startsWith('+OK')) throw new Error(`RETR ${n}: ${status}`);
    messages.push(unstuff(body));
    await client.command(`DELE ${n}`);
  }
  await client.command('QUIT');
  await client.closed;
  return messages;
}

/** The message without the trace fields (Return-Path, Received) the Fachdienst puts in front at delivery. */
export function withoutTrace(message: Buffer): Buffer {
  const text = message.toString('latin1');
  const trace = /^Return-Path: [^\r\n]*\r\nReceived: [^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*/.exec(text);
  if (trace === null) throw new Error('no trace fields at the start of the message');
  return message.subarray(trace[0].length);
}

/**
 * A TCP relay between a proxy and the Fachdienst (TLS passes through it end to end), so a test
 * can make the Fachdienst connection fail at a chosen moment: cut it, stop answering, or refuse
 * new connections.
 */
export class TcpRelay {
  /** Connections accepted so far. */
  accepted = 0;
  #frozen = false;
  #cutAfter: number | null = null;
  readonly #pairs = new Set<{ client: NetSocket; target: NetSocket }>();

  private constructor(
    private readonly server: NetServer,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    let relay: TcpRelay | null = null;
    const server = createNetServer((client) => relay?.connect(client, targetPort));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    relay = new TcpRelay(server, port);
    return relay;
  }

  /** Connections open now. */
  get open(): number {
    return this.#pairs.size;
  }

  /** Destroys every open connection (the proxy sees the Fachdienst go away). */
  cut(): void {
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.target.destroy();
    }
  }

  /** From now on nothing the Fachdienst sends reaches the proxy (it seems to hang). */
  freeze(): void {
    this.#frozen = true;
  }

  /** Cuts a connection once this many more bytes went from the proxy to the Fachdienst on it. */
  cutAfter(bytes: number): void {
    this.#cutAfter = bytes;
  }

  /** Stops accepting connections and cuts the open ones. */
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: NetSocket, targetPort: number): void {
    this.accepted += 1;
    const target = netConnect({ host: '127.0.0.1', port: targetPort });
    const pair = { client, target };
    this.#pairs.add(pair);
    let sent = 0;
    const budget = this.#cutAfter;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (budget !== null && sent > budget) {
        this.#pairs.delete(pair);
        client.destroy();
        target.destroy();
        return;
      }
      target.write(chunk);
    });
    target.on('data', (chunk: Buffer) => {
      if (!this.#frozen) client.write(chunk);
    });
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      target.destroy();
    };
    client.on('close', end);
    target.on('close', end);
    client.on('error', () => undefined);
    target.on('error', () => undefined);
  }
}
