import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore, InvalidBlobArgumentError } from '../../../adapters/blobstore/index.js';
import { blobPath, filesUnder, makeRoot } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  ({ root, cleanup } = await makeRoot());
  store = new FsBlobStore(root);
});
afterEach(() => cleanup());

const HOUR = 3_600_000;
const GRACE = 24 * HOUR;

/** Pretends a file was last modified `ageMs` ago. */
async function age(path: string, ageMs: number): Promise<void> {
  const then = new Date(Date.now() - ageMs);
  await utimes(path, then, then);
}

describe('FsBlobStore gc', () => {
  it('deletes old orphans and stale temp files, keeps referenced blobs and young orphans', async () => {
    const oldReferenced = await store.putBuffer(Buffer.from('referenced, old'));
    const oldOrphan = await store.putBuffer(Buffer.from('orphan, old'));
    const youngOrphan = await store.putBuffer(Buffer.from('orphan, young (event not appended yet)'));
    await age(blobPath(root, oldReferenced.ref), 2 * GRACE);
    await age(blobPath(root, oldOrphan.ref), 2 * GRACE);
    await age(blobPath(root, youngOrphan.ref), GRACE / 2);

    const staleTemp = join(root, 'tmp', 'crashed-put.part');
    const freshTemp = join(root, 'tmp', 'running-put.part');
    await writeFile(staleTemp, 'half a body');
    await writeFile(freshTemp, 'a body being written');
    await age(staleTemp, 2 * GRACE);

    const referenced = new Set([oldReferenced.ref]);
    const result = await store.gc({
      isReferenced: (ref) => Promise.resolve(referenced.has(ref)),
      graceMs: GRACE,
      now: Date.now(),
    });

    expect(result).toEqual({ scanned: 3, deleted: 1, bytesFreed: oldOrphan.size, tempRemoved: 1 });
    expect(await store.has(oldReferenced.ref)).toBe(true);
    expect(await store.has(youngOrphan.ref)).toBe(true);
    expect(await store.has(oldOrphan.ref)).toBe(false);
    expect(await filesUnder(join(root, 'tmp'))).toEqual(['running-put.part']);
  });

  it('does not ask about young blobs at all', async () => {
    await store.putBuffer(Buffer.from('young'));
    const asked: string[] = [];
    const result = await store.gc({
      isReferenced: (ref) => (asked.push(ref), false),
      graceMs: HOUR,
      now: Date.now(),
    });
    expect(result).toMatchObject({ scanned: 1, deleted: 0 });
    expect(asked).toEqual([]);
  });

  it('keeps an old orphan that a new put of the same content just claimed', async () => {
    const data = Buffer.from('same body, sent again after the first message was purged');
    const first = await store.putBuffer(data);
    await age(blobPath(root, first.ref), 2 * GRACE);

    // The dedupe path must refresh the mtime, or gc would delete the blob this put returned.
    const again = await store.putBuffer(data);
    expect(again).toEqual(first);
    const result = await store.gc({ isReferenced: () => false, graceMs: GRACE, now: Date.now() });
    expect(result.deleted).toBe(0);
    expect(await store.has(first.ref)).toBe(true);
  });

  it('keeps an old orphan that a put claims while gc is already deciding about it', async () => {
    const data = Buffer.from('claimed in the middle of a gc run');
    const first = await store.putBuffer(data);
    await age(blobPath(root, first.ref), 2 * GRACE);

    const result = await store.gc({
      // gc has judged the blob old; a concurrent put reuses it before gc gets to delete it.
      isReferenced: async (ref) => (ref === first.ref && (await store.putBuffer(data)), false),
      graceMs: GRACE,
      now: Date.now(),
    });
    expect(result).toMatchObject({ scanned: 1, deleted: 0, bytesFreed: 0 });
    expect(await store.has(first.ref)).toBe(true);
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
  });

  it('with grace 0 removes every unreferenced blob and every temp file', async () => {
    const keep = await store.putBuffer(Buffer.from('keep'));
    const drop = await store.putBuffer(Buffer.from('drop'));
    await writeFile(join(root, 'tmp', 'x.part'), 'left over');
    const now = Date.now() + 1000;
    const result = await store.gc({ isReferenced: (ref) => ref === keep.ref, graceMs: 0, now });
    expect(result).toEqual({ scanned: 2, deleted: 1, bytesFreed: drop.size, tempRemoved: 1 });
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
  });

  it('never sweeps the temp file of a put still running in this process, however old', async () => {
    const source = new PassThrough();
    const pending = store.put(source, { maxBytes: 1024 });
    source.write(Buffer.from('first half, '));
    await new Promise((r) => setTimeout(r, 20));
    const [temp] = await filesUnder(join(root, 'tmp'));
    await age(join(root, 'tmp', temp!), 2 * GRACE); // e.g. a client that stalls mid-DATA

    const result = await store.gc({ isReferenced: () => false, graceMs: GRACE, now: Date.now() });
    expect(result.tempRemoved).toBe(0);
    source.end(Buffer.from('second half'));
    const put = await pending;
    expect(put.size).toBe(23);
    expect(await store.has(put.ref)).toBe(true);
  });

  it('works on an empty or not yet created store and rejects a bad grace period', async () => {
    expect(await store.gc({ isReferenced: () => false, graceMs: 0, now: Date.now() })).toEqual({
      scanned: 0,
      deleted: 0,
      bytesFreed: 0,
      tempRemoved: 0,
    });
    await mkdir(join(root, 'sha256', 'zz'), { recursive: true }); // stray directory: ignored
    await expect(
      store.gc({ isReferenced: () => false, graceMs: -1, now: Date.now() }),
    ).rejects.toBeInstanceOf(InvalidBlobArgumentError);
  });

  it('propagates an isReferenced failure without deleting anything', async () => {
    const blob = await store.putBuffer(Buffer.from('old'));
    await age(blobPath(root, blob.ref), 2 * GRACE);
    const failure = new Error('projection unavailable');
    await expect(
      store.gc({ isReferenced: () => Promise.reject(failure), graceMs: GRACE, now: Date.now() }),
    ).rejects.toBe(failure);
    expect(await store.has(blob.ref)).toBe(true);
  });
});
