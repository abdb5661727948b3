import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsBlobStore } from './fs.js';
import { BlobTooLargeError, InvalidBlobArgumentError } from './port.js';
import type {
  BlobEntry,
  BlobSource,
  BlobStat,
  BlobStore,
  GcOptions,
  GcResult,
  PutOptions,
  PutResult,
} from './port.js';
import { assertBlobRef } from './ref.js';
import { SmallBlobTier } from './small/smallBlobTier.js';
import { asBytes } from './writeTemp.js';

/** Bodies up to this size go to the SQLite tier; a typical KIM mail without attachments fits. */
export const DEFAULT_SMALL_BLOB_LIMIT = 64 * 1024;

export interface TieredBlobStoreOptions {
  /** Root of the file tier; the small tier lives in `small-blobs.sqlite` beside `sha256/`. */
  readonly root: string;
  /** Largest body kept in the small tier, in bytes. */
  readonly smallLimit?: number;
}

/**
 * The Fachdienst's blob store: small bodies in a group-committed SQLite file, large ones as
 * files (`FsBlobStore`). Refs are the same content addresses in both tiers, so callers never
 * know where a blob lives. A put buffers at most `smallLimit` bytes before it decides; beyond
 * that it streams into the file tier like before.
 */
export class TieredBlobStore implements BlobStore {
  readonly files: FsBlobStore;
  private readonly small: SmallBlobTier;
  private readonly smallLimit: number;

  constructor(options: TieredBlobStoreOptions) {
    this.files = new FsBlobStore(options.root);
    this.small = new SmallBlobTier(join(this.files.root, 'small-blobs.sqlite'));
    this.smallLimit = options.smallLimit ?? DEFAULT_SMALL_BLOB_LIMIT;
  }

  get root(): string {
    return this.files.root;
  }

  async put(source: BlobSource, opts: PutOptions): Promise<PutResult> {
    const { maxBytes } = opts;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new InvalidBlobArgumentError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const iterator = iteratorOf(source);
    const held: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      let bytes: Uint8Array;
      try {
        bytes = asBytes(next.value);
      } catch (error) {
        await iterator.return?.();
        throw error;
      }
      size += bytes.byteLength;
      if (size > this.smallLimit) return this.files.put(spill(held, bytes, iterator), { maxBytes });
      held.push(Buffer.from(bytes)); // a copy: sources may reuse their buffers
    }
    // The source is drained already, as the port requires before BlobTooLargeError.
    if (size > maxBytes) throw new BlobTooLargeError(maxBytes, size);
    return this.putSmall(held.length === 1 && held[0] !== undefined ? held[0] : Buffer.concat(held, size));
  }

  putBuffer(data: Uint8Array): Promise<PutResult> {
    return data.byteLength <= this.smallLimit ? this.putSmall(data) : this.files.putBuffer(data);
  }

  get(ref: string): Readable {
    assertBlobRef(ref);
    const data = this.small.get(ref);
    return data === undefined ? this.files.get(ref) : Readable.from([data], { objectMode: false });
  }

  readSmall(ref: string): Buffer | null {
    assertBlobRef(ref);
    return this.small.get(ref) ?? null;
  }

  async stat(ref: string): Promise<BlobStat | null> {
    assertBlobRef(ref);
    return this.small.stat(ref) ?? this.files.stat(ref);
  }

  async has(ref: string): Promise<boolean> {
    return (await this.stat(ref)) !== null;
  }

  async delete(ref: string): Promise<boolean> {
    assertBlobRef(ref);
    // Both tiers: a blob could sit in the other one if the limit changed between runs.
    const fromSmall = await this.small.delete(ref);
    const fromFiles = await this.files.delete(ref);
    return fromSmall || fromFiles;
  }

  async *list(): AsyncIterable<BlobEntry> {
    for (const row of this.small.rows()) yield { ref: row.ref, size: row.size, mtimeMs: row.created_ms };
    yield* this.files.list();
  }

  async gc(opts: GcOptions): Promise<GcResult> {
    const files = await this.files.gc(opts); // validates the options
    let scanned = 0;
    let deleted = 0;
    let bytesFreed = 0;
    for (const row of this.small.rows()) {
      scanned += 1;
      // Young orphans survive: their referencing event may be about to be appended.
      if (opts.now - row.created_ms <= opts.graceMs || (await opts.isReferenced(row.ref))) continue;
      // Only if no put refreshed it meanwhile (the writer thread orders both).
      if (await this.small.delete(row.ref, row.created_ms)) {
        deleted += 1;
        bytesFreed += row.size;
      }
    }
    return {
      scanned: files.scanned + scanned,
      deleted: files.deleted + deleted,
      bytesFreed: files.bytesFreed + bytesFreed,
      tempRemoved: files.tempRemoved,
    };
  }

  close(): Promise<void> {
    return this.small.close();
  }

  private async putSmall(data: Uint8Array): Promise<PutResult> {
    const ref = createHash('sha256').update(data).digest('hex');
    await this.small.put(ref, data, Date.now());
    return { ref, size: data.byteLength };
  }
}

/** Like `for await`: async iterables, and plain iterables of in-memory chunks. */
function iteratorOf(source: BlobSource | Iterable<unknown>): AsyncIterator<unknown> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return {
    next: () => Promise.resolve(sync.next()),
    return: () => Promise.resolve(sync.return?.() ?? { done: true, value: undefined }),
  };
}

/** The held prefix, the chunk that crossed the limit, then the rest of the same source. */
async function* spill(
  held: readonly Buffer[],
  crossing: Uint8Array,
  iterator: AsyncIterator<unknown>,
): AsyncGenerator<Uint8Array> {
  let done = false;
  try {
    yield* held;
    yield crossing;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) {
        done = true;
        return;
      }
      yield asBytes(next.value);
    }
  } finally {
    // The file tier stopped early (or a chunk was not bytes): release the source.
    if (!done) await iterator.return?.();
  }
}
