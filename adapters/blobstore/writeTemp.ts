import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { unlinkIfExists, writeAll } from './durableFs.js';
import { BlobCleanupError, BlobTooLargeError, InvalidBlobArgumentError } from './port.js';
import type { BlobSource, PutResult } from './port.js';

/** What `put` accepts, plus plain iterables for in-memory data (`for await` takes both). */
export type ByteSource = BlobSource | Iterable<Uint8Array>;

type Stop = { kind: 'tooLarge' } | { kind: 'writeFailed'; error: unknown };

/**
 * Streams `source` into a new file at `path`, hashing on the way, then fsyncs and closes it.
 * Memory is bounded by one chunk: writes are awaited before the next chunk is pulled, which is
 * all the backpressure a pull-based source needs. On success the file is complete and durable
 * (but not yet published); on failure it is gone.
 *
 * Over the limit or after a failed write the file is removed at once and the rest of the
 * source is drained without writing, so a protocol layer can still read to the end of the
 * message (see `BlobStore.put`).
 */
export async function writeTempBlob(path: string, source: ByteSource, maxBytes: number): Promise<PutResult> {
  const file = await open(path, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  let stop: Stop | undefined;
  let cleanupFailure: { error: unknown } | undefined;
  try {
    for await (const chunk of source) {
      const bytes = asBytes(chunk);
      size += bytes.byteLength;
      if (stop !== undefined) continue; // draining
      if (size > maxBytes) {
        stop = { kind: 'tooLarge' };
      } else {
        hash.update(bytes);
        try {
          await writeAll(file, bytes);
          continue;
        } catch (error) {
          stop = { kind: 'writeFailed', error };
        }
      }
      // Give the disk space back now rather than after a possibly long drain.
      try {
        await discard(file, path);
      } catch (error) {
        cleanupFailure = { error };
      }
    }
  } catch (sourceOrChunkError) {
    return abandon(sourceOrChunkError, file, path);
  }
  if (stop !== undefined) {
    const primary = stop.kind === 'tooLarge' ? new BlobTooLargeError(maxBytes, size) : stop.error;
    if (cleanupFailure !== undefined) throw new BlobCleanupError(primary, cleanupFailure.error);
    throw primary;
  }
  try {
    await file.sync();
    await file.close();
  } catch (error) {
    return abandon(error, file, path);
  }
  return { ref: hash.digest('hex'), size };
}

/** Removes the temp file after `primary`, then throws it (with any cleanup failure attached). */
export async function abandon(primary: unknown, file: FileHandle | null, path: string): Promise<never> {
  try {
    await discard(file, path);
  } catch (cleanupError) {
    throw new BlobCleanupError(primary, cleanupError);
  }
  throw primary;
}

async function discard(file: FileHandle | null, path: string): Promise<void> {
  // Closing an already closed FileHandle is a no-op, so this is safe to repeat.
  await file?.close();
  await unlinkIfExists(path);
}

/** Strings would need an encoding guess and would hash different bytes than were sent. */
export function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new InvalidBlobArgumentError(
    `blob source must yield Uint8Array chunks, got ${typeof chunk} (is an encoding set on the stream?)`,
  );
}
