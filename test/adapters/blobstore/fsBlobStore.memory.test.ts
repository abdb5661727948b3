import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../../adapters/blobstore/index.js';
import { hashStream, makeRoot, MiB, RandomBody } from './helpers.js';

// Its own file, so its own worker process: RSS is not polluted by other tests' allocations.

const BODY = 100 * MiB;
const MAX_GROWTH = 40 * MiB;
// get() hands out a fresh 64 KiB buffer per chunk (consumers may keep them); V8 collects such
// external garbage only every ~32 MiB, so reads get a looser bound that still rules out 100 MB.
const MAX_READ_GROWTH = 64 * MiB;

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ root, cleanup } = await makeRoot());
});
afterAll(() => cleanup());

/** Peak RSS growth over a baseline while `work` runs, sampled every 5 ms. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}

describe('FsBlobStore memory', () => {
  it('puts and reads back a 100 MB stream without buffering it', async () => {
    const store = new FsBlobStore(root);
    await store.put(new RandomBody(4 * MiB), { maxBytes: BODY }); // warm up code paths

    const body = new RandomBody(BODY, { reuse: true });
    const { result: put, growth: putGrowth } = await peakRssGrowth(() => store.put(body, { maxBytes: BODY }));
    expect(put).toEqual({ ref: body.digest(), size: BODY });

    const { result: read, growth: readGrowth } = await peakRssGrowth(() => hashStream(store.get(put.ref)));
    expect(read).toEqual(put);

    console.info(
      `100 MB put: peak RSS growth ${(putGrowth / MiB).toFixed(1)} MiB; ` +
        `get: ${(readGrowth / MiB).toFixed(1)} MiB`,
    );
    expect(putGrowth).toBeLessThan(MAX_GROWTH);
    expect(readGrowth).toBeLessThan(MAX_READ_GROWTH);
  });

  it('(control) the same measurement catches a consumer that buffers the body', async () => {
    const { result: chunks, growth } = await peakRssGrowth(async () => {
      const held: Uint8Array[] = [];
      for await (const chunk of new RandomBody(BODY, { reuse: true })) held.push(Buffer.from(chunk));
      return held;
    });
    console.info(`100 MB buffered: peak RSS growth ${(growth / MiB).toFixed(1)} MiB`);
    expect(chunks.length).toBeGreaterThan(0);
    expect(growth).toBeGreaterThan(MAX_GROWTH);
  });
});
