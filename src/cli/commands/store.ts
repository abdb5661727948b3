import { existsSync } from 'node:fs';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import { dataPaths, defaultDataDir } from '../../config/dataDir.js';
import { storeStats } from '../../store/stats.js';
import { verifyStore } from '../../store/verify.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliCommand, CliIo } from '../command.js';
import { Progress } from '../progress.js';

const usage = 'kim store <verify|stats> [--data DIR] [--json] [--quiet]';

const options = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function openStore(dataDir: string): SqliteEventStore {
  const paths = dataPaths(dataDir);
  if (!existsSync(paths.events)) throw new CliError(`no event store at ${paths.events}`, 1);
  // A long poll interval: the tools never subscribe, and must not hold the file longer than needed.
  return new SqliteEventStore({ path: paths.events });
}

async function verify(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, options, usage);
  const store = openStore(values.data ?? defaultDataDir());
  try {
    const total = store.counts().events * 2n;
    const progress = new Progress('verify', total, io.stderr, values.quiet === true);
    const report = await verifyStore(store, { onProgress: (n) => progress.update(n) });
    progress.done();
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      io.stdout.write(
        `${report.ok ? 'OK' : 'FAILED'}: ${report.events} events in ${report.streams} streams checked` +
          (report.unknownStreams > 0
            ? ` (${report.unknownStreams} streams of unknown kind checked for order only)`
            : '') +
          '\n',
      );
      for (const p of report.problems) {
        const at =
          p.revision !== undefined
            ? `@${p.revision}`
            : p.position !== undefined
              ? ` position ${p.position}`
              : '';
        io.stdout.write(`  ${p.kind}: ${p.streamId}${at}: ${p.detail}\n`);
      }
      if (report.truncated) io.stdout.write('  … more problems not listed\n');
    }
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function stats(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, options, usage);
  const store = openStore(values.data ?? defaultDataDir());
  try {
    const progress = new Progress('stats', store.counts().events, io.stderr, values.quiet === true);
    const result = await storeStats(store, { onProgress: (n) => progress.update(n) });
    progress.done();
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const lines = [
      `events:     ${result.events}`,
      `streams:    ${result.streams}`,
      `head:       ${result.headPosition ?? '-'}`,
      `file size:  ${result.fileBytes} bytes`,
      `first/last: ${result.firstEventAt ?? '-'} / ${result.lastEventAt ?? '-'}`,
      'streams by kind:',
      ...Object.entries(result.streamsByKind).map(([k, n]) => `  ${k.padEnd(28)} ${n}`),
      'events by type:',
      ...Object.entries(result.eventsByType)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `  ${k.padEnd(28)} ${n}`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

export const storeCommand: CliCommand = {
  name: 'store',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'verify') return verify(rest, io);
    if (sub === 'stats') return stats(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout.write(
        `usage: ${usage}\n\n  verify  check positions, revisions, decoding and folding of every stream\n  stats   counts of events and streams\n`,
      );
      return sub === undefined ? 2 : 0;
    }
    throw new CliError(`unknown store command '${sub}'\nusage: ${usage}`);
  },
};
