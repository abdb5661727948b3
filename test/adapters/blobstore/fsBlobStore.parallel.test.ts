import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../../adapters/blobstore/index.js';
import { filesUnder, hashFile, makeRoot, MiB, RandomBody, blobPath } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ root, cleanup } = await makeRoot());
});
afterAll(() => cleanup());

describe('FsBlobStore concurrency', () => {
  it('stores 10 parallel 25 MB bodies, each under its correct ref', async () => {
    const store = new FsBlobStore(root);
    const bodies = Array.from({ length: 10 }, () => new RandomBody(25 * MiB));
    const started = performance.now();
    const puts = await Promise.all(bodies.map((body) => store.put(body, { maxBytes: 36 * MiB })));
    console.info(`10 x 25 MB parallel puts: ${(performance.now() - started).toFixed(0)} ms`);

    expect(new Set(puts.map((p) => p.ref)).size).toBe(10);
    for (const [i, put] of puts.entries()) {
      expect(put).toEqual({ ref: bodies[i]!.digest(), size: 25 * MiB });
      expect(await hashFile(blobPath(root, put.ref))).toEqual(put);
    }
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
  });
});
