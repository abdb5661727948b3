import { mkdir, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Node's fs errors carry an errno name in `code`. */
export function hasErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Makes directory entries (created, renamed, removed files) durable. Linux/POSIX only: a
 * directory is fsynced through a read-only handle.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A write may be short (e.g. nearly full disk), so loop until the chunk is out. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** `true` if removed, `false` if it was already gone. */
export async function unlinkIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (hasErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/**
 * `mkdir -p` below a root whose new entries are durable: the parent of every directory on the
 * chain is fsynced once per process. Existing directories get that fsync too, because another
 * (possibly crashed) process may have created them without it. Concurrent callers share one
 * promise, so nobody can see a directory before its entry is durable.
 */
export class DurableDirs {
  private readonly root: string;
  private readonly known = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  ensure(dir: string): Promise<void> {
    const abs = resolve(dir);
    let pending = this.known.get(abs);
    if (pending === undefined) {
      pending = abs === this.root ? this.createRoot() : this.createBelowRoot(abs);
      this.known.set(abs, pending);
      // Let a later call retry after a failure; the caller still sees the rejection.
      void pending.catch(() => this.known.delete(abs));
    }
    return pending;
  }

  private async createRoot(): Promise<void> {
    const firstCreated = await mkdir(this.root, { recursive: true, mode: 0o700 });
    if (firstCreated === undefined) return; // provisioned by the operator: not ours to fsync
    // Each directory from the root up to the first one created needs its entry fsynced.
    const stop = resolve(firstCreated);
    for (let dir = this.root; dir !== dirname(dir); dir = dirname(dir)) {
      await fsyncDir(dirname(dir));
      if (dir === stop) break;
    }
  }

  private async createBelowRoot(dir: string): Promise<void> {
    const parent = dirname(dir);
    if (!dir.startsWith(this.root + '/')) throw new Error(`${dir} is outside the blob store root`);
    await this.ensure(parent);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      if (!hasErrno(err, 'EEXIST')) throw err;
    }
    await fsyncDir(parent);
  }
}
