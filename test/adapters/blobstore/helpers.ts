import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

export async function makeRoot(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'blobstore-test-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/**
 * A lazily generated random body: chunks are made on demand, so a 100 MB body never exists in
 * memory. `digest()` is the SHA-256 of what has been generated so far; `consumed` counts the
 * bytes the consumer pulled, `finished` says whether it pulled to the end.
 *
 * With `reuse` the chunks cycle through a few buffers that are overwritten, as a socket's
 * buffer pool might. That keeps the generator's own garbage out of RSS measurements, and a
 * consumer that kept chunks around instead of writing them at once would store wrong bytes,
 * which the content hash then exposes.
 */
export class RandomBody implements AsyncIterable<Uint8Array> {
  consumed = 0;
  finished = false;
  private readonly hash = createHash('sha256');
  private readonly ring: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly opts: { chunkBytes?: number; reuse?: boolean } = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const chunkBytes = this.opts.chunkBytes ?? CHUNK;
    let n = 0;
    while (this.consumed < this.size) {
      const length = Math.min(chunkBytes, this.size - this.consumed);
      const chunk = randomFillSync(this.buffer(n++, chunkBytes).subarray(0, length));
      this.hash.update(chunk);
      this.consumed += length;
      // Yield to the event loop now and then, like a socket would.
      if (n % 16 === 0) await new Promise((r) => setImmediate(r));
      yield chunk;
    }
    this.finished = true;
  }

  private buffer(n: number, chunkBytes: number): Buffer {
    if (!this.opts.reuse) return Buffer.allocUnsafe(chunkBytes);
    const slot = n % 4;
    return (this.ring[slot] ??= Buffer.allocUnsafe(chunkBytes));
  }

  digest(): string {
    return this.hash.copy().digest('hex');
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function hashStream(stream: AsyncIterable<unknown>): Promise<{ ref: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Uint8Array;
    hash.update(bytes);
    size += bytes.byteLength;
  }
  return { ref: hash.digest('hex'), size };
}

export function hashFile(path: string): Promise<{ ref: string; size: number }> {
  return hashStream(createReadStream(path));
}

/** Relative paths of all regular files below `dir` ([] if it does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export const blobPath = (root: string, ref: string): string =>
  join(root, 'sha256', ref.slice(0, 2), ref.slice(2, 4), ref);
