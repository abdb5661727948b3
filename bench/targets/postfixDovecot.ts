import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import { promisify } from 'node:util';
import { clientTlsContext, WireClient } from '../clients/wire.js';
import { treeCpuSeconds } from './proc.js';
import type { MailTarget } from './target.js';

const script = join(import.meta.dirname, '../../../bench/peers/postfix-dovecot.sh');
const ports = { smtp: 10465, pop3: 10995 } as const;

/**
 * Postfix + Dovecot on this machine (bench/peers/postfix-dovecot.sh: the baseline's setup), with
 * our PKI's server certificate, the same accounts and password. Needs root and the Debian
 * packages (`bash bench/peers/postfix-dovecot.sh install`).
 */
export function postfixDovecot(
  dir: string,
  pki: string,
  accounts: readonly string[],
  password: string,
): MailTarget {
  const peer = (...args: string[]) =>
    execFileSync('bash', [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, PEER_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  // start/stop wait for the ports; run them without blocking this process's event loop.
  const peerAsync = async (...args: string[]) => {
    await promisify(execFile)('bash', [script, ...args], {
      env: { ...process.env, PEER_PASSWORD: password },
    });
  };
  // Postfix and Dovecot drop to their own users, who must be able to reach `home`.
  chmodSync(dir, 0o711);
  const home = join(dir, 'peer');
  peer('setup', home, join(pki, 'server.crt'), join(pki, 'server.key'), ...accounts);
  const ca = readFileSync(join(pki, 'ca.crt'), 'utf8');
  const tls = clientTlsContext(ca);
  const masters = () =>
    peer('pids', home)
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
  return {
    name: 'postfix-dovecot',
    ports,
    ca,
    start: () => peerAsync('restart', home),
    stop: () => peerAsync('stop', home),
    async allDelivered(expected) {
      // No delivery counter to ask: poll the maildrops over POP3, as the baseline's harness did.
      const start = performance.now();
      for (;;) {
        const counts = await Promise.all([...expected.keys()].map((user) => stat(tls, user, password)));
        if (counts.every((n, i) => n >= ([...expected.values()][i] ?? 0))) return performance.now() - start;
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    resetPeak() {
      /* multi-process: the baseline reported PSS, which this harness does not measure */
    },
    usage() {
      const cpu = masters().reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
      return { cpuSeconds: Math.round(cpu * 100) / 100, peakRssMb: null };
    },
  };
}

async function stat(tls: SecureContext, user: string, password: string): Promise<number> {
  const c = await WireClient.open(ports.pop3, tls);
  try {
    for (const command of [null, `USER ${user}`, `PASS ${password}`]) {
      if (command !== null) c.write(`${command}\r\n`);
      const line = await c.line();
      if (!line.startsWith('+OK')) throw new Error(`peer POP3: ${line}`);
    }
    c.write('STAT\r\n');
    const count = Number((await c.line()).split(' ')[1]);
    c.write('QUIT\r\n');
    await c.line().catch(() => '');
    return count;
  } finally {
    c.close();
  }
}
