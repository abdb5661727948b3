import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FsBlobStore, TieredBlobStore } from '../../../adapters/blobstore/index.js';
import { filesUnder, hashFile, hashStream, makeRoot } from './helpers.js';

const PROJECT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = join(PROJECT, 'test', 'support', 'blobCrashChild.ts');
const ROUNDS = 20;

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ root, cleanup } = await makeRoot());
});
afterAll(() => cleanup());

/**
 * Starts the writer child on `root`, SIGKILLs it 50–400 ms after it reports READY (tsx startup
 * is excluded so the kill lands while puts are running) and returns the puts it acknowledged.
 */
async function runAndKill(dir: string, mode: 'files' | 'tiered' = 'files'): Promise<Map<string, number>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dir, ...(mode === 'tiered' ? ['tiered'] : [])],
    {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    if (stdout.startsWith('READY\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );

  const startup = await Promise.race([
    ready.then(() => 'ready' as const),
    closed.then(() => 'died' as const),
    sleep(20_000).then(() => 'timeout' as const),
  ]);
  if (startup !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`crash child ${startup} before READY: ${stderr}`);
  }
  await sleep(randomInt(50, 401));
  child.kill('SIGKILL');
  const signal = await closed;
  expect(signal, `child must be killed, not exit on its own: ${stderr}`).toBe('SIGKILL');

  const acks = new Map<string, number>();
  for (const line of stdout.split('\n').slice(1, -1)) {
    const match = /^ACK ([0-9a-f]{64}) (\d+)$/.exec(line);
    if (match === null) throw new Error(`unexpected child output line: ${JSON.stringify(line)}`);
    acks.set(match[1]!, Number(match[2]));
  }
  return acks;
}

describe('FsBlobStore crash safety', () => {
  it(`keeps every acknowledged blob intact and never exposes a partial one (${ROUNDS} SIGKILLs)`, async () => {
    const acked = new Map<string, number>();
    /** Files already hashed, by path → "size:mtime"; blobs are immutable, re-hash only on change. */
    const verified = new Map<string, string>();
    let roundsWithTempLeft = 0;

    for (let round = 0; round < ROUNDS; round += 1) {
      const acks = await runAndKill(root);
      for (const [ref, size] of acks) acked.set(ref, size);

      // Nothing acknowledged is missing or truncated.
      const store = new FsBlobStore(root);
      for (const [ref, size] of acked) {
        expect((await store.stat(ref))?.size, `acked blob ${ref} after round ${round}`).toBe(size);
      }
      // Every name under sha256/ holds exactly the content it names: no partial blob is visible.
      for (const relative of await filesUnder(join(root, 'sha256'))) {
        const path = join(root, 'sha256', relative);
        const name = relative.split('/').pop()!;
        expect(relative).toBe(`${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`);
        const { size, mtimeMs } = await stat(path);
        if (verified.get(path) === `${size}:${mtimeMs}`) continue;
        expect((await hashFile(path)).ref, `content of ${relative}`).toBe(name);
        verified.set(path, `${size}:${mtimeMs}`);
      }
      if ((await filesUnder(join(root, 'tmp'))).length > 0) roundsWithTempLeft += 1;
    }

    // The kills really interrupted puts, and enough puts completed to mean something.
    expect(roundsWithTempLeft).toBeGreaterThan(0);
    expect(acked.size).toBeGreaterThan(ROUNDS);

    const store = new FsBlobStore(root);
    const stored = (await filesUnder(join(root, 'sha256'))).length;
    const temps = (await filesUnder(join(root, 'tmp'))).length;
    const result = await store.gc({ isReferenced: (ref) => acked.has(ref), graceMs: 0, now: Date.now() + 1 });
    console.info(
      `crash test: ${acked.size} acked blobs, ${roundsWithTempLeft}/${ROUNDS} kills left temp files; ` +
        `gc removed ${result.tempRemoved} temp files and ${result.deleted} unacknowledged blobs`,
    );
    expect(result).toMatchObject({ scanned: stored, deleted: stored - acked.size, tempRemoved: temps });
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
    for (const [ref, size] of acked) expect((await store.stat(ref))?.size).toBe(size);
  }, 120_000);
});

describe('TieredBlobStore crash safety', () => {
  it('keeps every acknowledged blob, small or large, intact across SIGKILLs', async () => {
    const dir = await makeRoot();
    onTestFinished(() => dir.cleanup());
    const acked = new Map<string, number>();
    for (let round = 0; round < 8; round += 1) {
      for (const [ref, size] of await runAndKill(dir.root, 'tiered')) acked.set(ref, size);
      const store = new TieredBlobStore({ root: dir.root });
      try {
        for (const [ref, size] of acked) {
          expect(await hashStream(store.get(ref)), `acked blob ${ref} after round ${round}`).toEqual({
            ref,
            size,
          });
        }
      } finally {
        await store.close();
      }
    }
    const small = [...acked.values()].filter((size) => size <= 64 * 1024).length;
    expect(small).toBeGreaterThan(8);
    expect(acked.size - small).toBeGreaterThan(0);
  }, 120_000);
});
