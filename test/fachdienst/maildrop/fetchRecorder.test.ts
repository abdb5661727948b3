import { describe, expect, it } from 'vitest';
import { FetchRecorder } from '../../../src/fachdienst/maildrop/fetchRecorder.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An append that takes `ms` and records each batch when it completes. */
function appender(ms: number) {
  const batches: number[][] = [];
  let running = 0;
  let overlapped = false;
  const append = async (uids: readonly number[]) => {
    running++;
    overlapped ||= running > 1;
    await sleep(ms);
    batches.push([...uids]);
    running--;
  };
  return { batches, append, overlapped: () => overlapped };
}

describe('FetchRecorder', () => {
  it('gathers the fetches of one window into one append, in order', async () => {
    const a = appender(1);
    const recorder = new FetchRecorder(a.append, 30);
    for (const uid of [3, 1, 2]) recorder.record(uid);
    expect(a.batches).toEqual([]); // nothing before the window closes
    await sleep(80);
    expect(a.batches).toEqual([[3, 1, 2]]);
    recorder.record(7);
    await recorder.settled();
    expect(a.batches).toEqual([[3, 1, 2], [7]]);
  });

  it('settled() appends what is queued at once, without waiting for the window', async () => {
    const a = appender(1);
    const recorder = new FetchRecorder(a.append, 60_000);
    recorder.record(5);
    recorder.record(6);
    const start = performance.now();
    await recorder.settled();
    expect(performance.now() - start).toBeLessThan(5_000);
    expect(a.batches).toEqual([[5, 6]]);
    await recorder.settled(); // nothing left: resolves, appends nothing
    expect(a.batches).toEqual([[5, 6]]);
  });

  it('runs one append at a time: a slow append delays the next batch, never reorders it', async () => {
    const a = appender(40);
    const recorder = new FetchRecorder(a.append, 1);
    recorder.record(1);
    await sleep(10); // the first append is running
    recorder.record(2);
    recorder.record(3);
    await recorder.settled();
    expect(a.batches).toEqual([[1], [2, 3]]);
    expect(a.overlapped()).toBe(false);
  });
});
