import { randomBytes } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasErrno } from './durableFs.js';
import type { BlobEntry } from './port.js';
import { assertBlobRef, fanOut, isBlobRef } from './ref.js';

const FAN_DIR = /^[0-9a-f]{2}$/;

/**
 * Where things live below the root:
 *   sha256/ab/cd/<64-hex>   published blobs (immutable)
 *   tmp/<random>.part       bodies being written; same filesystem, so rename is atomic
 *   tmp/<random>.gc         a blob gc has moved aside and is about to delete
 */
export class FsLayout {
  readonly root: string;
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.blobsDir = join(this.root, 'sha256');
    this.tmpDir = join(this.root, 'tmp');
  }

  /** Throws `InvalidBlobRefError` before any path is built. */
  dirOf(ref: string): string {
    assertBlobRef(ref);
    const [a, b] = fanOut(ref);
    return join(this.blobsDir, a, b);
  }

  pathOf(ref: string): string {
    return join(this.dirOf(ref), ref);
  }

  newTempPath(kind: 'part' | 'gc'): string {
    return join(this.tmpDir, `${randomBytes(16).toString('hex')}.${kind}`);
  }

  /** Published blobs, in ref order. Stray names are skipped: only well-formed refs are blobs. */
  async *walkBlobs(): AsyncGenerator<BlobEntry> {
    for (const a of await readdirOrEmpty(this.blobsDir)) {
      if (!FAN_DIR.test(a)) continue;
      for (const b of await readdirOrEmpty(join(this.blobsDir, a))) {
        if (!FAN_DIR.test(b)) continue;
        const dir = join(this.blobsDir, a, b);
        for (const name of await readdirOrEmpty(dir)) {
          if (!isBlobRef(name) || !name.startsWith(a + b)) continue;
          const stats = await lstatOrNull(join(dir, name));
          // Deleted since readdir, or not a regular file: not a blob.
          if (stats === null || !stats.isFile()) continue;
          yield { ref: name, size: stats.size, mtimeMs: stats.mtimeMs };
        }
      }
    }
  }
}

/** Missing directories are simply empty: the layout is created lazily. */
export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if (hasErrno(err, 'ENOENT') || hasErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if (hasErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
