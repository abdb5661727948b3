import { hostname as osHostname } from 'node:os';
import type { SecureVersion } from 'node:tls';
import type { Logger } from '../../logging/logger.js';
import type { Pop3Hooks } from './hooks.js';
import { Pop3Session } from './session.js';
import { createSessionServer } from '../../mail/pop3/sessionServer.js';

export interface Pop3TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Default TLSv1.2. */
  readonly minVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 (e.g. the suites of gematik TR / BSI TR-02102-2); Node's default otherwise. */
  readonly ciphers?: string;
}

export interface Pop3ServerOptions {
  readonly hooks: Pop3Hooks;
  readonly tls: Pop3TlsOptions;
  readonly logger: Logger;
  /** Named in the greeting; default the host name of the machine. */
  readonly hostname?: string;
  /** Autologout after this long without a command (RFC 1939: at least 10 minutes). Default 600 000. */
  readonly idleTimeoutMs?: number;
  /** Bad commands after which a connection is closed. Default 10. */
  readonly maxBadCommands?: number;
}

export interface Pop3Server {
  /** Starts listening; resolves with the actual port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops listening, ends all sessions (nothing is deleted) and waits until every maildrop is released. */
  close(): Promise<void>;
  /** Sessions currently open (TLS established). */
  readonly connections: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_BAD_COMMANDS = 10;
const MAX_AUTH_FAILURES = 3;

/** A POP3 server with implicit TLS (POP3S, RFC 8314), storage behind {@link Pop3Hooks}. */
export function createPop3Server(options: Pop3ServerOptions): Pop3Server {
  const log = options.logger.child({ component: 'pop3' });
  const sessionOptions = {
    hooks: options.hooks,
    hostname: options.hostname ?? osHostname(),
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxBadCommands: options.maxBadCommands ?? DEFAULT_MAX_BAD_COMMANDS,
    maxAuthFailures: MAX_AUTH_FAILURES,
    logger: log,
  };
  const served = createSessionServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      ...(options.tls.ca === undefined
        ? {}
        : { ca: options.tls.ca as string | Buffer | (string | Buffer)[] }),
      ...(options.tls.ciphers === undefined ? {} : { ciphers: options.tls.ciphers, honorCipherOrder: true }),
      minVersion: options.tls.minVersion ?? 'TLSv1.2',
    },
    (socket) => new Pop3Session(socket, sessionOptions),
    log,
  );
  const { server } = served;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          const actual = typeof address === 'object' && address !== null ? address.port : port;
          log.info({ host, port: actual }, 'pop3 server listening');
          resolve(actual);
        });
      });
    },
    async close() {
      await served.close();
      log.info('pop3 server stopped');
    },
    get connections() {
      return served.connections;
    },
  };
}
