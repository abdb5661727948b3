import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FsBlobStore } from '../../adapters/blobstore/index.js';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { accountsProjection } from '../../projections/accounts.js';
import { maildropProjection } from '../../projections/maildrop.js';
import { ReadModelDb } from '../../projections/readModelDb.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { dataPaths } from '../config/dataDir.js';
import { CommandHandler } from '../core/commandHandler.js';
import type { Logger } from '../logging/logger.js';

export interface FachdienstConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly httpPort: number;
}

export interface RunningFachdienst {
  readonly httpPort: number;
  readonly store: SqliteEventStore;
  readonly blobs: FsBlobStore;
  readonly commands: CommandHandler;
  readonly projections: Readonly<Record<'maildrop' | 'accounts', ProjectionRunner>>;
  /** Rejects when a background part (a projection) fails; the process should then exit. */
  readonly failed: Promise<never>;
  close(): Promise<void>;
}

/**
 * The composition root of one Fachdienst on the embedded store: the only place that decides
 * which adapters are used and wires them together.
 */
export async function startFachdienst(config: FachdienstConfig, log: Logger): Promise<RunningFachdienst> {
  const paths = dataPaths(config.dataDir);
  const store = new SqliteEventStore({ path: paths.events });
  const blobs = new FsBlobStore(paths.blobs);
  const readModels = new ReadModelDb(paths.readModels);
  const commands = new CommandHandler(store);
  const projections = {
    maildrop: new ProjectionRunner(store, readModels, maildropProjection),
    accounts: new ProjectionRunner(store, readModels, accountsProjection),
  };
  const stop = new AbortController();
  const runs = Object.values(projections).map((runner) =>
    runner.run(stop.signal).catch((error: unknown) => {
      log.error({ err: error, projection: runner.projection.name }, 'projection stopped');
      throw error;
    }),
  );
  const failed = Promise.race(runs).then(() => {
    throw new Error('projections ended');
  });
  failed.catch(() => undefined); // observed by the caller; avoid an unhandled rejection here

  const http = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/health') {
        const head = await store.headPosition();
        const body = {
          status: 'ok',
          eventStore: { head: head?.toString() ?? null },
          projections: Object.fromEntries(
            Object.entries(projections).map(([name, runner]) => [
              name,
              runner.checkpoint?.toString() ?? null,
            ]),
          ),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
  log.info({ dataDir: paths.root, host: config.host, httpPort }, 'fachdienst started');

  return {
    httpPort,
    store,
    blobs,
    commands,
    projections,
    failed,
    async close() {
      stop.abort();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled(runs);
      readModels.close();
      await store.close();
      log.info('fachdienst stopped');
    },
  };
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
