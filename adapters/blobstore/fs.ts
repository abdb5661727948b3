import { rename, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DurableDirs, fsyncDir, hasErrno, unlinkIfExists } from './durableFs.js';
import { collectGarbage } from './gc.js';
import { FsLayout } from './layout.js';
import { InvalidBlobArgumentError } from './port.js';
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
import { readBlob } from './readBlob.js';
import { assertBlobRef } from './ref.js';
import { abandon, writeTempBlob } from './writeTemp.js';
import type { ByteSource } from './writeTemp.js';

/**
 * Content-addressed blob store on a local POSIX filesystem (see `FsLayout` for the layout).
 *
 * Write path: temp file (hash while streaming) → fsync → close → durable mkdir -p → rename to
 * the content address → fsync the directory → resolve. A name under `sha256/` therefore only
 * ever points at complete, fsynced content, and a resolved put survives a crash.
 *
 * Files are 0600 and directories 0700: these are message bodies.
 */
export class FsBlobStore implements BlobStore {
  private readonly layout: FsLayout;
  private readonly dirs: DurableDirs;
  /** Temp files of this process's running operations; gc leaves them alone. */
  private readonly busyTemps = new Set<string>();

  constructor(root: string) {
    this.layout = new FsLayout(root);
    this.dirs = new DurableDirs(this.layout.root);
  }

  get root(): string {
    return this.layout.root;
  }

  put(source: BlobSource, opts: PutOptions): Promise<PutResult> {
    const { maxBytes } = opts;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      const error = new InvalidBlobArgumentError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
      return Promise.reject(error);
    }
    return this.write(source, maxBytes);
  }

  putBuffer(data: Uint8Array): Promise<PutResult> {
    return this.write([data], data.byteLength);
  }

  private async write(source: ByteSource, maxBytes: number): Promise<PutResult> {
    await this.dirs.ensure(this.layout.tmpDir);
    const temp = this.layout.newTempPath('part');
    this.busyTemps.add(temp);
    try {
      const result = await writeTempBlob(temp, source, maxBytes);
      await this.publish(temp, result);
      return result;
    } finally {
      this.busyTemps.delete(temp);
    }
  }

  get(ref: string): Readable {
    return readBlob(this.layout.pathOf(ref), ref);
  }

  /** Files are always streamed. */
  readSmall(ref: string): Buffer | null {
    assertBlobRef(ref);
    return null;
  }

  async stat(ref: string): Promise<BlobStat | null> {
    try {
      const stats = await stat(this.layout.pathOf(ref));
      return stats.isFile() ? { size: stats.size, mtimeMs: stats.mtimeMs } : null;
    } catch (err) {
      if (hasErrno(err, 'ENOENT')) return null;
      throw err;
    }
  }

  async has(ref: string): Promise<boolean> {
    return (await this.stat(ref)) !== null;
  }

  async delete(ref: string): Promise<boolean> {
    const dir = this.layout.dirOf(ref);
    if (!(await unlinkIfExists(this.layout.pathOf(ref)))) return false;
    await fsyncDir(dir);
    return true;
  }

  list(): AsyncIterable<BlobEntry> {
    return this.layout.walkBlobs();
  }

  gc(opts: GcOptions): Promise<GcResult> {
    return collectGarbage(this.layout, this.busyTemps, opts);
  }

  /** Moves a complete, fsynced temp file to its content address, durably. */
  private async publish(temp: string, { ref }: PutResult): Promise<void> {
    const dir = this.layout.dirOf(ref);
    const target = this.layout.pathOf(ref);
    try {
      await this.dirs.ensure(dir);
      // Content-addressed: an existing file under this name has these very bytes (or is a damaged
      // copy, which this heals). Renaming the fresh copy over it is atomic, and its new mtime
      // makes the blob a young orphan again, so a concurrent gc cannot delete what we return.
      await rename(temp, target);
      // Even when the blob already existed: its writer may not have fsynced the directory yet.
      await fsyncDir(dir);
    } catch (err) {
      return abandon(err, null, temp);
    }
  }
}
