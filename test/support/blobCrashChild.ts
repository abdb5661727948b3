/**
 * Child process for the blob store crash test: puts random bodies into the store at argv[2]
 * forever, from a few concurrent writers, until the parent kills it with SIGKILL.
 *
 * Protocol on stdout (written synchronously, so a line is out before the next put starts and
 * nothing is lost in a buffer when the process dies):
 *   READY                 the store is constructed and the writers start now
 *   ACK <ref> <size>      put() resolved: from here on the blob must survive the kill
 *
 * Run: node --import tsx test/support/blobCrashChild.ts <root> [tiered]
 * With `tiered` the store is the Fachdienst's TieredBlobStore and most bodies are small.
 */
import { randomFillSync, randomInt } from 'node:crypto';
import { writeSync } from 'node:fs';
import { FsBlobStore, TieredBlobStore } from '../../adapters/blobstore/index.js';
import type { BlobStore, PutResult } from '../../adapters/blobstore/index.js';

const WRITERS = 3;
const MIN_BYTES = 1024;
const MAX_BYTES = 3 * 1024 * 1024;
const CHUNK = 64 * 1024;

async function* randomBody(size: number): AsyncGenerator<Uint8Array> {
  for (let left = size; left > 0; left -= CHUNK) {
    yield randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, left)));
    // Let the other writers interleave, as concurrent SMTP sessions would.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Every fifth put repeats one of a few small bodies, so the dedupe path is crashed too. */
function nextPut(store: BlobStore): Promise<PutResult> {
  if (randomInt(5) === 0) {
    const variant = randomInt(4);
    return store.putBuffer(Buffer.alloc(MIN_BYTES + variant, variant));
  }
  const largest = tiered && randomInt(4) !== 0 ? 128 * 1024 : MAX_BYTES;
  return store.put(randomBody(randomInt(MIN_BYTES, largest + 1)), { maxBytes: MAX_BYTES });
}

async function writer(store: BlobStore): Promise<never> {
  for (;;) {
    const { ref, size } = await nextPut(store);
    writeSync(1, `ACK ${ref} ${size}\n`);
  }
}

const root = process.argv[2];
const tiered = process.argv[3] === 'tiered';
if (root === undefined) {
  writeSync(2, 'usage: blobCrashChild.ts <root>\n');
  process.exit(2);
}
const store: BlobStore = tiered ? new TieredBlobStore({ root }) : new FsBlobStore(root);
writeSync(1, 'READY\n');
await Promise.all(Array.from({ length: WRITERS }, () => writer(store)));
