import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  BlobTooLargeError,
  InvalidBlobArgumentError,
  InvalidBlobRefError,
  TieredBlobStore,
} from '../../../adapters/blobstore/index.js';
import { filesUnder, hashStream, makeRoot, MiB, RandomBody, sha256 } from './helpers.js';

const LIMIT = 64 * 1024;

let root: string;
let cleanup: () => Promise<void>;
let store: TieredBlobStore;

beforeEach(async () => {
  ({ root, cleanup } = await makeRoot());
  store = new TieredBlobStore({ root, smallLimit: LIMIT });
});
afterEach(async () => {
  await store.close();
  await cleanup();
});

const blobFiles = () => filesUnder(join(root, 'sha256'));

describe('TieredBlobStore', () => {
  it('keeps a small body in the SQLite tier (no file) and streams it back byte-exact', async () => {
    const body = new RandomBody(4096, { chunkBytes: 1000, reuse: true }); // reused buffers: must be copied

    const put = await store.put(body, { maxBytes: MiB });

    expect(put).toEqual({ ref: body.digest(), size: 4096 });
    expect(await blobFiles()).toEqual([]);
    expect(await hashStream(store.get(put.ref))).toEqual(put);
    expect(await store.stat(put.ref)).toMatchObject({ size: 4096 });
    expect(await store.has(put.ref)).toBe(true);
  });

  it('puts a body of exactly the limit in the small tier and one byte more in a file', async () => {
    const atLimit = await store.put(new RandomBody(LIMIT, { chunkBytes: 4096 }), { maxBytes: MiB });
    const above = new RandomBody(LIMIT + 1, { chunkBytes: 4096 });
    const overLimit = await store.put(above, { maxBytes: MiB });

    const files = await blobFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`${overLimit.ref}$`));
    expect(overLimit).toEqual({ ref: above.digest(), size: LIMIT + 1 });
    expect(await hashStream(store.get(atLimit.ref))).toEqual(atLimit);
    expect(await hashStream(store.get(overLimit.ref))).toEqual(overLimit);
  });

  it('hands out a small-tier body whole (readSmall), and null for a file-tier or absent body', async () => {
    const small = new RandomBody(4096, { chunkBytes: 1000 });
    const big = new RandomBody(LIMIT + 1, { chunkBytes: 4096 });
    const smallPut = await store.put(small, { maxBytes: MiB });
    const bigPut = await store.put(big, { maxBytes: MiB });

    const whole = store.readSmall(smallPut.ref);
    expect(whole === null ? null : sha256(whole)).toBe(small.digest());
    expect(whole?.length).toBe(4096);
    expect(store.readSmall(bigPut.ref)).toBeNull();
    expect(store.readSmall('0'.repeat(64))).toBeNull();
    expect(() => store.readSmall('../etc/passwd')).toThrow(InvalidBlobRefError);
  });

  it('round-trips a 25 MB body through the file tier', async () => {
    const body = new RandomBody(25 * MiB, { reuse: true });
    const put = await store.put(body, { maxBytes: 26 * MiB });
    expect(put.ref).toBe(body.digest());
    expect(await hashStream(store.get(put.ref))).toEqual(put);
  });

  it('refuses a small body over maxBytes only after draining the source, and stores nothing', async () => {
    const body = new RandomBody(10_000, { chunkBytes: 1000 });

    await expect(store.put(body, { maxBytes: 5000 })).rejects.toMatchObject({
      constructor: BlobTooLargeError,
      limit: 5000,
      received: 10_000,
    });
    expect(body.finished).toBe(true);
    expect([...(await listAll())]).toEqual([]);
  });

  it('applies maxBytes to a body that spilled into the file tier, draining it too', async () => {
    const body = new RandomBody(2 * MiB);
    await expect(store.put(body, { maxBytes: MiB })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(body.finished).toBe(true);
    expect(await blobFiles()).toEqual([]);
  });

  it('rejects string chunks in either tier', async () => {
    const strings = Readable.from(['text']);
    const bytesThenString = Readable.from([Buffer.alloc(LIMIT + 10), 'text']);
    await expect(store.put(strings, { maxBytes: MiB })).rejects.toBeInstanceOf(InvalidBlobArgumentError);
    await expect(store.put(bytesThenString, { maxBytes: MiB })).rejects.toBeInstanceOf(
      InvalidBlobArgumentError,
    );
    expect([...(await listAll())]).toEqual([]);
  });

  it('stores identical small content once', async () => {
    const a = await store.putBuffer(Buffer.from('same body'));
    const b = await store.put(
      [Buffer.from('same '), Buffer.from('body')] as unknown as AsyncIterable<Uint8Array>,
      {
        maxBytes: 100,
      },
    );
    expect(b).toEqual(a);
    expect((await listAll()).map((e) => e.ref)).toEqual([a.ref]);
    expect(a.ref).toBe(sha256(Buffer.from('same body')));
  });

  it('survives close and reopen: a resolved put is committed', async () => {
    const put = await store.putBuffer(Buffer.from('durable'));
    await store.close();
    store = new TieredBlobStore({ root, smallLimit: LIMIT });
    expect(await hashStream(store.get(put.ref))).toEqual(put);
  });

  it('deletes from whichever tier holds the blob, and reports a missing blob as a stream error', async () => {
    const small = await store.putBuffer(Buffer.alloc(100, 1));
    const large = await store.putBuffer(Buffer.alloc(LIMIT + 100, 2));

    expect(await store.delete(small.ref)).toBe(true);
    expect(await store.delete(large.ref)).toBe(true);
    expect(await store.delete(small.ref)).toBe(false);
    await expect(hashStream(store.get(small.ref))).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(() => store.get('../../etc/passwd')).toThrow(InvalidBlobRefError);
  });

  it('collects old unreferenced blobs in both tiers and keeps referenced and young ones', async () => {
    const keep = await store.putBuffer(Buffer.from('referenced'));
    const orphan = await store.putBuffer(Buffer.from('orphan'));
    const bigOrphan = await store.putBuffer(Buffer.alloc(LIMIT + 1, 3));
    const young = Date.now();

    const early = await store.gc({ isReferenced: () => false, graceMs: 60_000, now: young });
    expect(early.deleted).toBe(0);

    const result = await store.gc({
      isReferenced: (ref) => ref === keep.ref,
      graceMs: 0,
      now: young + 60_000,
    });

    expect(result).toMatchObject({ scanned: 3, deleted: 2, bytesFreed: orphan.size + bigOrphan.size });
    expect((await listAll()).map((e) => e.ref)).toEqual([keep.ref]);
  });
});

async function listAll(): Promise<{ ref: string; size: number }[]> {
  const out: { ref: string; size: number }[] = [];
  for await (const entry of store.list()) out.push(entry);
  return out;
}
