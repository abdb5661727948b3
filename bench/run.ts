/**
 * `npm run bench`: runs each phase in its own process (so each peak RSS is its own) and prints
 * one JSON document. Targets on the 2-core reference machine are listed beside the figures.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const phases = join(import.meta.dirname, 'phases');

function phase(name: string, env: Record<string, string> = {}): Record<string, unknown> {
  const run = spawnSync(process.execPath, [join(phases, `${name}.js`)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`bench phase ${name} failed (exit ${run.status}):\n${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

const only = process.argv[2];
const selected = (name: string) => only === undefined || only === name;
const result: Record<string, unknown> = {
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
  targets: {
    foldEventsPerSecond: '>= 100000',
    rebuildSecondsFor1M: '< 60',
    durableAppendsPerSecondOneWriter: '>= 2000, more with concurrent writers',
    memory: 'independent of log length (compare rebuild peak RSS at 200k and 1M events)',
  },
};
if (selected('appends')) result['appends'] = phase('appends');
if (selected('fold')) result['fold'] = phase('fold');
if (selected('rebuild')) {
  result['rebuild200k'] = phase('rebuild', { KIM_BENCH_REBUILD_EVENTS: '200000' });
  result['rebuild1M'] = phase('rebuild', { KIM_BENCH_REBUILD_EVENTS: '1000000' });
}
if (selected('mail')) result['mail'] = phase('mail');
if (selected('smime')) result['smime'] = phase('smime');
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
