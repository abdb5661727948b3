import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobTooLargeError, FsBlobStore } from '../../../adapters/blobstore/index.js';
import { filesUnder, hashStream, makeRoot, MiB, RandomBody } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  ({ root, cleanup } = await makeRoot());
  store = new FsBlobStore(root);
});
afterEach(() => cleanup());

const nothingStored = async (): Promise<void> => {
  expect(await filesUnder(join(root, 'sha256'))).toEqual([]);
  expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
};

describe('FsBlobStore size limit', () => {
  it('rejects a body over the limit only after draining the source, storing nothing', async () => {
    const body = new RandomBody(5 * MiB + 1);
    const error: unknown = await store.put(body, { maxBytes: 2 * MiB }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(BlobTooLargeError);
    expect(error).toMatchObject({ code: 'BLOB_TOO_LARGE', limit: 2 * MiB, received: 5 * MiB + 1 });
    expect(body.finished).toBe(true); // an SMTP layer could read on to the end of DATA
    expect(body.consumed).toBe(5 * MiB + 1);
    await nothingStored();
  });

  it('removes the partial file as soon as the limit is crossed, before the source ends', async () => {
    const source = new PassThrough();
    const pending = store.put(source, { maxBytes: 100 });
    const settled = pending.then(
      () => 'resolved',
      () => 'rejected',
    );
    source.write(Buffer.alloc(100));
    source.write(Buffer.alloc(1));
    // Let the store see the chunks; the source is still open.
    await new Promise((r) => setTimeout(r, 50));
    await nothingStored();
    expect(await Promise.race([settled, new Promise((r) => setTimeout(() => r('pending'), 20))])).toBe(
      'pending',
    );

    source.end(Buffer.alloc(1000));
    await expect(pending).rejects.toMatchObject({ limit: 100, received: 1101 });
    expect(source.readableEnded).toBe(true);
    await nothingStored();
  });

  it('accepts a body of exactly maxBytes', async () => {
    const body = new RandomBody(2 * MiB);
    const put = await store.put(body, { maxBytes: 2 * MiB });
    expect(put).toEqual({ ref: body.digest(), size: 2 * MiB });
    expect(await hashStream(store.get(put.ref))).toEqual(put);
  });

  it('treats maxBytes 0 as "empty bodies only"', async () => {
    await expect(store.put(new RandomBody(0), { maxBytes: 0 })).resolves.toMatchObject({ size: 0 });
    await expect(store.put(new RandomBody(1), { maxBytes: 0 })).rejects.toBeInstanceOf(BlobTooLargeError);
  });
});

describe('FsBlobStore failing source', () => {
  it('propagates a source error midway, leaving no temp file and storing nothing', async () => {
    const boom = Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(MiB, 1);
      yield Buffer.alloc(MiB, 2);
      await new Promise((r) => setImmediate(r));
      throw boom;
    }
    await expect(store.put(failing(), { maxBytes: 10 * MiB })).rejects.toBe(boom);
    await nothingStored();
  });

  it('propagates a destroyed Node stream the same way', async () => {
    const source = new PassThrough();
    const pending = store.put(source, { maxBytes: 10 * MiB });
    source.write(Buffer.alloc(64 * 1024));
    setTimeout(() => source.destroy(new Error('socket closed')), 20);
    await expect(pending).rejects.toThrow('socket closed');
    await nothingStored();
  });

  it('propagates a source error that happens while draining an oversized body', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(200);
      yield Buffer.alloc(200); // over the limit: the store is draining now
      await new Promise((r) => setImmediate(r));
      throw new Error('late failure');
    }
    await expect(store.put(failing(), { maxBytes: 100 })).rejects.toThrow('late failure');
    await nothingStored();
  });
});
