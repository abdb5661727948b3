import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';

const ROUNDS = 20;
const child = join(import.meta.dirname, '../../support/eventStoreCrashChild.ts');
const cli = join(import.meta.dirname, '../../../src/cli/bin.ts');

interface Ack {
  readonly streamId: string;
  readonly revision: bigint;
  readonly eventId: string;
}

/** Run the child until READY, let it append for a random while, then SIGKILL it. */
function crashRound(path: string, round: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, String(round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | undefined;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (killTimer === undefined && out.includes('READY\n')) {
        killTimer = setTimeout(() => proc.kill('SIGKILL'), 50 + Math.floor(Math.random() * 450));
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ended without being killed: ${err}`));
        return;
      }
      // Only complete lines count: a line cut by the kill was never acknowledged.
      const acks = out
        .split('\n')
        .slice(0, -1)
        .filter((line) => line.startsWith('ACK '))
        .map((line) => {
          const [, streamId, revision, eventId] = line.split(' ');
          return { streamId: streamId!, revision: BigInt(revision!), eventId: eventId! };
        });
      resolve(acks);
    });
  });
}

describe('sqlite event store under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kim-es-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged append across ${ROUNDS} kills, and the log verifies`, async () => {
    const path = join(dir, 'events.sqlite');
    const acknowledged: Ack[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const acks = await crashRound(path, round);
      acknowledged.push(...acks);

      const store = new SqliteEventStore({ path });
      try {
        for (const ack of acknowledged) {
          const [event] = await collectOne(store, ack);
          expect(event, `round ${round}: acknowledged ${ack.streamId}@${ack.revision} is missing`).toBe(
            ack.eventId,
          );
        }
      } finally {
        await store.close();
      }
      const verify = spawnSync(
        process.execPath,
        ['--import', 'tsx', cli, 'store', 'verify', '--data', dir, '--quiet'],
        {
          encoding: 'utf8',
        },
      );
      expect(verify.stdout + verify.stderr, `round ${round}`).toMatch(/^OK: /);
      expect(verify.status).toBe(0);
    }
    expect(acknowledged.length).toBeGreaterThan(ROUNDS * 5);
  }, 180_000);
});

async function collectOne(store: SqliteEventStore, ack: Ack): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of store.readStream(ack.streamId, { fromRevision: ack.revision, maxCount: 1 })) {
    ids.push(event.id);
  }
  return ids;
}
