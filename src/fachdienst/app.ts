import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TieredBlobStore } from '../../adapters/blobstore/index.js';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { createDevPki, loadTlsCredentials, TLS_CIPHERS, tlsServerOptions } from '../../adapters/tls/index.js';
import type { TlsCredentials } from '../../adapters/tls/index.js';
import { accountsProjection } from '../../projections/accounts.js';
import { maildropProjection } from '../../projections/maildrop.js';
import { ReadModelDb } from '../../projections/readModelDb.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { submissionsProjection } from '../../projections/submissions.js';
import { ConfigError } from '../config/configError.js';
import { dataPaths } from '../config/dataDir.js';
import type { FachdienstConfig } from '../config/fachdienstConfig.js';
import { CommandHandler } from '../core/commandHandler.js';
import type { Logger } from '../logging/logger.js';
import { AccountDirectory } from './accounts/accountDirectory.js';
import { AccountAuthenticator } from './auth/accountAuthenticator.js';
import { AuthCache } from './auth/authCache.js';
import { AuthThrottle } from './auth/throttle.js';
import { BlobCollector } from './delivery/blobCollector.js';
import { acceptedSubmissionIds, DeliveryProcessor } from './delivery/deliveryProcessor.js';
import { metricsText } from './http/metrics.js';
import { MaildropHooks } from './maildrop/maildropHooks.js';
import { createPop3Server } from './pop3/index.js';
import { Routing } from './routing.js';
import { MessageAcceptance } from './smtp/acceptance.js';
import { startSmtpServer } from './smtp/smtpServer.js';

export interface RunningFachdienst {
  readonly ports: { readonly smtp: number; readonly pop3: number; readonly http: number };
  readonly store: SqliteEventStore;
  readonly blobs: TieredBlobStore;
  readonly commands: CommandHandler;
  /** The one runner of all read-model views (maildrop, accounts, submissions). */
  readonly views: ProjectionRunner;
  readonly delivery: DeliveryProcessor;
  /** The CA that signed the server certificate (clients trust it). */
  readonly caCertificate: string;
  /** Rejects when a background part (a projection, the delivery processor) fails. */
  readonly failed: Promise<never>;
  close(): Promise<void>;
}

/**
 * The composition root of one Fachdienst on the embedded store: the only place that decides
 * which adapters are used and wires them together.
 */
export async function startFachdienst(config: FachdienstConfig, log: Logger): Promise<RunningFachdienst> {
  const paths = dataPaths(config.dataDir);
  const tls = await tlsCredentials(config, paths.root, log);

  const store = new SqliteEventStore({ path: paths.events });
  // Small bodies in one group-committed SQLite file, large ones as files (ADR 0004).
  const blobs = new TieredBlobStore({ root: paths.blobs });
  const readModels = new ReadModelDb(paths.readModels);
  const commands = new CommandHandler(store);
  const directory = new AccountDirectory(readModels);
  const routing = new Routing(config.domains, config.providerDomains);
  const delivery = new DeliveryProcessor({
    commands,
    readModels,
    directory,
    routing,
    log: log.child({ component: 'delivery' }),
  });
  // One runner for all views: the log is read once and each batch commits in one transaction.
  const views = new ProjectionRunner(
    store,
    readModels,
    [maildropProjection, accountsProjection, submissionsProjection],
    {
      // Accepted submissions go straight to delivery; retries and leftovers are swept on a timer.
      onProgress: (_applied, _position, batch) => {
        const accepted = acceptedSubmissionIds(batch);
        if (accepted.length > 0) delivery.handOver(accepted);
      },
    },
  );
  const authenticator = new AccountAuthenticator(directory, new AuthCache(), new AuthThrottle());
  const collector = new BlobCollector(blobs, readModels, log.child({ component: 'blob-gc' }));

  const stop = new AbortController();
  const background = [
    views.run(stop.signal).catch((error: unknown) => {
      log.error({ err: error }, 'projections stopped');
      throw error;
    }),
    delivery.run(stop.signal).catch((error: unknown) => {
      log.error({ err: error }, 'delivery processor stopped');
      throw error;
    }),
    collector.run(stop.signal),
  ];
  const failed = Promise.race(background).then(() => {
    throw new Error('a background task ended');
  });
  failed.catch(() => undefined); // observed by the caller

  const smtp = await startSmtpServer(
    {
      tls,
      hostname: config.hostname,
      routing,
      maxMessageSize: config.maxMessageSize,
      dataConcurrency: config.dataConcurrency,
      dataQueueWaitMs: config.dataQueueWaitMs,
      authenticator,
      directory,
      acceptance: new MessageAcceptance({
        blobs,
        commands,
        hostname: config.hostname,
        kimDomains: config.kimDomains,
        maxMessageSize: config.maxMessageSize,
        newId: randomUUID,
        now: () => new Date(),
        log: log.child({ component: 'smtp' }),
      }),
      log: log.child({ component: 'smtp' }),
    },
    { port: config.smtpPort, host: config.host },
  );

  const pop3 = createPop3Server({
    hooks: new MaildropHooks({
      store,
      readModels,
      maildrop: views,
      commands,
      blobs,
      authenticator,
      log: log.child({ component: 'pop3' }),
    }),
    tls: { key: tls.key, cert: tls.cert, ca: tls.ca, ciphers: TLS_CIPHERS },
    logger: log.child({ component: 'pop3' }),
    hostname: config.hostname,
  });
  const pop3Port = await pop3.listen(config.pop3Port, config.host);

  const http = createServer(tlsServerOptions(tls), (req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/health') {
        const head = await store.headPosition();
        const body = {
          status: 'ok',
          eventStore: { head: head?.toString() ?? null },
          projections: Object.fromEntries(
            views.projections.map((p) => [p.name, views.checkpoint?.toString() ?? null]),
          ),
          delivery: {
            pending: delivery.pendingCount(),
            oldestPendingSeconds: delivery.oldestPendingAgeMs() / 1000,
          },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      if (req.method === 'GET' && req.url === '/metrics') {
        const text = metricsText({
          head: await store.headPosition(),
          projections: Object.fromEntries(views.projections.map((p) => [p.name, views.checkpoint])),
          pendingSubmissions: delivery.pendingCount(),
          oldestPendingSeconds: delivery.oldestPendingAgeMs() / 1000,
          smtpPipeline: smtp.pipeline,
          pop3Sessions: pop3.connections,
        });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    })().catch((error: unknown) => {
      log.error({ err: error }, 'http request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await listen(http, config.host, config.httpPort);
  const httpPort = (http.address() as AddressInfo).port;
  const ports = { smtp: smtp.port, pop3: pop3Port, http: httpPort };
  log.info(
    { dataDir: paths.root, host: config.host, ...ports, domains: config.domains },
    'fachdienst started',
  );

  return {
    ports,
    store,
    blobs,
    commands,
    views,
    delivery,
    caCertificate: tls.ca.toString(),
    failed,
    async close() {
      await smtp.close();
      await pop3.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      stop.abort();
      await Promise.allSettled(background);
      readModels.close();
      await blobs.close();
      await store.close();
      log.info('fachdienst stopped');
    },
  };
}

/** The configured PKI, or in development a PKI created under the data directory on first start. */
async function tlsCredentials(
  config: FachdienstConfig,
  dataRoot: string,
  log: Logger,
): Promise<TlsCredentials> {
  if (config.pkiDir !== null) {
    try {
      return loadTlsCredentials(config.pkiDir);
    } catch (error) {
      throw new ConfigError(`--pki: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const dir = join(dataRoot, 'pki');
  if (!existsSync(join(dir, 'server.key'))) {
    log.warn({ dir }, 'no --pki given: creating a development PKI (never use it in production)');
    await createDevPki(dir, {
      domains: config.domains,
      hostnames: [...new Set(['localhost', config.hostname])],
      providers: config.domains,
    });
  }
  return loadTlsCredentials(dir);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
