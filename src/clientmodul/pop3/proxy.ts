import { hostname as osHostname } from 'node:os';
import { TLS_CIPHERS } from '../../../adapters/tls/index.js';
import type { Logger } from '../../logging/logger.js';
import type { IncomingMailProcessor } from '../ports.js';
import type { UpstreamTlsOptions } from '../upstream/connect.js';
import type { UpstreamEndpoint } from '../username.js';
import { createSessionServer } from '../../mail/pop3/sessionServer.js';
import { Pop3ProxySession } from './session.js';

export interface Pop3ProxyOptions {
  /** Listen address; default 127.0.0.1. */
  readonly host?: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
  /** The proxy's server certificate towards the mail program (implicit TLS). */
  readonly tls: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The default Fachdienst (POP3S); a `host:port` in the client username wins over it. */
  readonly upstream: UpstreamEndpoint & UpstreamTlsOptions;
  readonly processor: IncomingMailProcessor;
  readonly logger: Logger;
  /** Name in the greeting; default the machine's host name. */
  readonly hostname?: string;
  /** POP3_TIMEOUT_CLIENT; default 5 min. */
  readonly clientTimeoutMs?: number;
  /** POP3_TIMEOUT_SERVER; default 5 min. */
  readonly upstreamTimeoutMs?: number;
  /** Largest message RETR holds in memory for the message pipeline; default 800 MiB (KIM max 700 MiB). */
  readonly maxMessageSize?: number;
  /** Failed logins after which the connection closes; default 3. */
  readonly maxAuthFailures?: number;
  /** Bad commands after which the connection closes; default 10. */
  readonly maxBadCommands?: number;
}

export interface RunningPop3Proxy {
  readonly port: number;
  /** Sessions open now. */
  readonly connections: number;
  /** Stops listening and ends every session (the Fachdienst deletes nothing). */
  close(): Promise<void>;
}

const FIVE_MINUTES = 5 * 60_000;

/** The Clientmodul's POP3 proxy (kim-domain §7.3): implicit TLS towards the mail program. */
export async function startPop3Proxy(options: Pop3ProxyOptions): Promise<RunningPop3Proxy> {
  const log = options.logger.child({ component: 'cm-pop3' });
  const { host: defaultHost, port: defaultPort, ...upstreamTls } = options.upstream;
  const sessionOptions = {
    hostname: options.hostname ?? osHostname(),
    defaultUpstream: { host: defaultHost, port: defaultPort },
    upstreamTls,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? FIVE_MINUTES,
    clientTimeoutMs: options.clientTimeoutMs ?? FIVE_MINUTES,
    maxMessageSize: options.maxMessageSize ?? 800 * 1024 * 1024,
    maxAuthFailures: options.maxAuthFailures ?? 3,
    maxBadCommands: options.maxBadCommands ?? 10,
    processor: options.processor,
    logger: log,
  };
  const served = createSessionServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      minVersion: 'TLSv1.2',
      ciphers: TLS_CIPHERS,
      honorCipherOrder: true,
    },
    (socket) => new Pop3ProxySession(socket, sessionOptions),
    log,
  );
  const { server } = served;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log.info({ port }, 'pop3 proxy listening');
  return {
    port,
    get connections() {
      return served.connections;
    },
    close: () => served.close(),
  };
}
