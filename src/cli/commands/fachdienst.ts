import { defaultDataDir } from '../../config/dataDir.js';
import { startFachdienst } from '../../fachdienst/app.js';
import { createLogger } from '../../logging/logger.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliCommand } from '../command.js';

const usage = 'kim fachdienst [--data DIR] [--host HOST] [--http-port N]';

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new CliError(`${flag}: '${value}' is not a port number (0-65535)`);
  return n;
}

export const fachdienstCommand: CliCommand = {
  name: 'fachdienst',
  summary: 'run a Fachdienst (the provider service) on the embedded store',
  usage,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        data: { type: 'string' },
        host: { type: 'string' },
        'http-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      usage,
    );
    if (values.help === true) {
      io.stdout.write(
        `usage: ${usage}\n\n  --data DIR      data directory (env KIM_DATA, default ./data)\n  --host HOST     listen address (env KIM_HOST, default 127.0.0.1)\n  --http-port N   health and metrics (env KIM_HTTP_PORT, default 18443)\n`,
      );
      return 0;
    }
    const log = createLogger({ service: 'fachdienst' });
    const app = await startFachdienst(
      {
        dataDir: values.data ?? defaultDataDir(),
        host: values.host ?? process.env['KIM_HOST'] ?? '127.0.0.1',
        httpPort: port(values['http-port'] ?? process.env['KIM_HTTP_PORT'], 18443, '--http-port'),
      },
      log,
    );
    io.stdout.write(`fachdienst ready: http://${values.host ?? '127.0.0.1'}:${app.httpPort}/health\n`);
    const signalled = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const outcome = await Promise.race([signalled, app.failed.catch(() => 'failed')]);
    await app.close();
    log.flush();
    return outcome === 'failed' ? 1 : 0;
  },
};
