import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { hasErrno } from './durableFs.js';
import { BlobNotFoundError } from './port.js';

// A 25 MB RETR in 25 reads: each fresh chunk costs a thread-pool round trip and page faults,
// and reading 250 MB here took 244 ms of CPU in 64 KiB chunks, 130 in 256 KiB, 83 in 1 MiB.
const CHUNK_BYTES = 1024 * 1024;

/**
 * A byte stream of the file at `path`. Nothing is opened until the consumer reads; a missing
 * file surfaces as a `BlobNotFoundError` stream error. Destroying the stream early closes the
 * file (Readable.from returns the generator, which runs its `finally`).
 */
export function readBlob(path: string, ref: string): Readable {
  return Readable.from(chunks(path, ref), { objectMode: false });
}

async function* chunks(path: string, ref: string): AsyncGenerator<Buffer> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if (hasErrno(err, 'ENOENT')) throw new BlobNotFoundError(ref);
    throw err;
  }
  try {
    for (;;) {
      // A fresh buffer per chunk: the consumer may hold on to the previous one.
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK_BYTES ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}
