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
  const out = new WriteGather(file);
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
          await out.write(bytes);
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
    await out.flush();
    await file.sync();
    await file.close();
  } catch (error) {
    return abandon(error, file, path);
  }
  return { ref: hash.digest('hex'), size };
}

const GATHER_BYTES = 256 * 1024;

/**
 * Gathers small chunks (a TLS socket yields ~16 KB at a time) into 256 KiB writes: one write
 * per chunk cost more event-loop time than hashing the bytes. Chunks are copied at once, so a
 * source may reuse its buffers as soon as the next chunk is pulled; big chunks go out as they are.
 */
class WriteGather {
  private buffer: Buffer | null = null;
  private used = 0;

  constructor(private readonly file: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    if (this.used === 0 && bytes.byteLength >= GATHER_BYTES) return writeAll(this.file, bytes);
    let from = 0;
    while (from < bytes.byteLength) {
      const buffer = (this.buffer ??= Buffer.allocUnsafe(GATHER_BYTES));
      const n = Math.min(bytes.byteLength - from, GATHER_BYTES - this.used);
      buffer.set(bytes.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === GATHER_BYTES) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.buffer === null || this.used === 0) return;
    const used = this.used;
    this.used = 0;
    await writeAll(this.file, this.buffer.subarray(0, used));
  }
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
