import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  FsBlobStore,
  InvalidBlobArgumentError,
  InvalidBlobRefError,
} from '../../../adapters/blobstore/index.js';
import { blobPath, filesUnder, hashStream, makeRoot, MiB, RandomBody, sha256 } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let store: FsBlobStore;

beforeEach(async () => {
  ({ root, cleanup } = await makeRoot());
  store = new FsBlobStore(root);
});
afterEach(() => cleanup());

describe('FsBlobStore basics', () => {
  it('round-trips a 25 MB random body streamed in and out', async () => {
    const body = new RandomBody(25 * MiB);
    const started = performance.now();
    const put = await store.put(body, { maxBytes: 36 * MiB });
    const putMs = performance.now() - started;

    expect(put).toEqual({ ref: body.digest(), size: 25 * MiB });
    expect(await hashStream(store.get(put.ref))).toEqual(put);
    expect(await store.stat(put.ref)).toMatchObject({ size: 25 * MiB });
    expect(await store.has(put.ref)).toBe(true);
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
    expect(putMs).toBeLessThan(30_000);
    console.info(`25 MB put: ${putMs.toFixed(0)} ms`);
  });

  it('stores identical content once and both puts succeed', async () => {
    const data = Buffer.from('Hallo KIM\r\n'.repeat(1000));
    const first = await store.put(Readable.from([data]), { maxBytes: MiB });
    const second = await store.put(Readable.from([data]), { maxBytes: MiB });
    const [third, fourth] = await Promise.all([store.putBuffer(data), store.putBuffer(data)]);

    const expected = { ref: sha256(data), size: data.byteLength };
    for (const result of [first, second, third, fourth]) expect(result).toEqual(expected);
    const { ref } = expected;
    expect(await filesUnder(join(root, 'sha256'))).toEqual([join(ref.slice(0, 2), ref.slice(2, 4), ref)]);
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
  });

  it('lays blobs out as sha256/ab/cd/<ref>, mode 0600', async () => {
    const { ref } = await store.putBuffer(Buffer.from('x'));
    const stats = await store.stat(ref);
    expect(stats?.size).toBe(1);
    const { mode } = await stat(blobPath(root, ref));
    expect(mode & 0o777).toBe(0o600);
  });

  it('accepts a Node readable (file stream) and an empty body', async () => {
    const source = join(root, 'source.bin');
    const data = Buffer.alloc(200_000, 7);
    await writeFile(source, data);
    expect(await store.put(createReadStream(source), { maxBytes: MiB })).toEqual({
      ref: sha256(data),
      size: data.byteLength,
    });
    const empty = await store.putBuffer(new Uint8Array(0));
    expect(empty).toEqual({ ref: sha256(new Uint8Array(0)), size: 0 });
    expect(await hashStream(store.get(empty.ref))).toEqual(empty);
  });

  it('rejects string chunks instead of guessing an encoding, leaving no temp file', async () => {
    const source = Readable.from(['text'], { objectMode: true });
    await expect(store.put(source, { maxBytes: MiB })).rejects.toBeInstanceOf(InvalidBlobArgumentError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('rejects a nonsensical maxBytes', async () => {
    await expect(store.put(new RandomBody(1), { maxBytes: -1 })).rejects.toMatchObject({
      code: 'INVALID_BLOB_ARGUMENT',
    });
    await expect(store.put(new RandomBody(1), { maxBytes: Number.NaN })).rejects.toBeInstanceOf(
      InvalidBlobArgumentError,
    );
  });

  it('lists blobs with size and mtime, ignoring stray files', async () => {
    const a = await store.putBuffer(Buffer.from('a'));
    const b = await store.putBuffer(Buffer.from('bb'));
    await writeFile(join(root, 'sha256', 'README'), 'not a blob');
    const listed = [];
    for await (const entry of store.list()) listed.push(entry);
    expect(listed.map(({ ref, size }) => ({ ref, size }))).toEqual(
      [a, b].sort((x, y) => x.ref.localeCompare(y.ref)),
    );
    expect(listed.every((e) => e.mtimeMs > 0)).toBe(true);
  });

  it('deletes durably and reports whether something was deleted', async () => {
    const { ref } = await store.putBuffer(Buffer.from('bye'));
    expect(await store.delete(ref)).toBe(true);
    expect(await store.has(ref)).toBe(false);
    expect(await store.delete(ref)).toBe(false);
  });
});

describe('FsBlobStore missing blobs and invalid refs', () => {
  const missing = 'a'.repeat(64);

  it('reports a missing blob as a BlobNotFoundError stream error (not synchronously)', async () => {
    const stream = store.get(missing); // does not throw: existence is only known once opened
    const error: unknown = await hashStream(stream).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BlobNotFoundError);
    expect(error).toMatchObject({ code: 'BLOB_NOT_FOUND', ref: missing });
    expect(await store.stat(missing)).toBeNull();
    expect(await store.has(missing)).toBe(false);
    expect(await store.delete(missing)).toBe(false);
  });

  it.each([
    ['path traversal', '../etc/passwd'],
    ['traversal padded to 64 chars', '../../../../../../../../../../../../../../../../../../../etc/passwd'],
    ['uppercase hex', 'A'.repeat(64)],
    ['too short', 'ab'.repeat(31)],
    ['too long', 'a'.repeat(65)],
    ['non-hex', 'g'.repeat(64)],
    ['empty', ''],
    ['trailing newline', `${'a'.repeat(64)}\n`],
  ])('rejects an invalid ref: %s', async (_label, ref) => {
    expect(() => store.get(ref)).toThrow(InvalidBlobRefError); // synchronously
    await expect(store.stat(ref)).rejects.toMatchObject({ code: 'INVALID_BLOB_REF' });
    await expect(store.has(ref)).rejects.toBeInstanceOf(InvalidBlobRefError);
    await expect(store.delete(ref)).rejects.toBeInstanceOf(InvalidBlobRefError);
  });
});
