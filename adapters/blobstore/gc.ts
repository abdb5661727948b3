import { join } from 'node:path';
import { lstat, rename } from 'node:fs/promises';
import { fsyncDir, hasErrno, unlinkIfExists } from './durableFs.js';
import type { FsLayout } from './layout.js';
import { lstatOrNull, readdirOrEmpty } from './layout.js';
import { InvalidBlobArgumentError } from './port.js';
import type { BlobEntry, GcOptions, GcResult } from './port.js';

/**
 * Sweeps blobs and temp files; the caller's `isReferenced` stands in for a mark phase.
 * `busyTemps` are temp files of operations still running in this process; they are never
 * swept, whatever their age.
 */
export async function collectGarbage(
  layout: FsLayout,
  busyTemps: Set<string>,
  opts: GcOptions,
): Promise<GcResult> {
  const { graceMs, now, isReferenced } = opts;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs) || !Number.isFinite(now)) {
    throw new InvalidBlobArgumentError(`gc needs a finite graceMs >= 0 and a finite now`);
  }
  const isOld = (mtimeMs: number): boolean => now - mtimeMs > graceMs;

  let scanned = 0;
  let deleted = 0;
  let bytesFreed = 0;
  const changedDirs = new Set<string>();
  for await (const blob of layout.walkBlobs()) {
    scanned += 1;
    // Young orphans survive: their referencing event may be about to be appended.
    if (!isOld(blob.mtimeMs) || (await isReferenced(blob.ref))) continue;
    const outcome = await removeUnlessRefreshed(layout, busyTemps, blob);
    if (outcome === 'gone') continue;
    changedDirs.add(layout.dirOf(blob.ref));
    if (outcome === 'deleted') {
      deleted += 1;
      bytesFreed += blob.size;
    }
  }
  for (const dir of changedDirs) await fsyncDir(dir);

  let tempRemoved = 0;
  for (const name of await readdirOrEmpty(layout.tmpDir)) {
    const path = join(layout.tmpDir, name);
    if (busyTemps.has(path)) continue;
    const stats = await lstatOrNull(path);
    if (stats === null || !stats.isFile() || !isOld(stats.mtimeMs)) continue;
    if (await unlinkIfExists(path)) tempRemoved += 1;
  }
  return { scanned, deleted, bytesFreed, tempRemoved };
}

/**
 * A put() of identical content reuses the existing file and bumps its mtime instead of writing
 * it again. Between our age check and the unlink such a put may have claimed this blob, so the
 * blob is first moved aside atomically and its mtime checked again: if it changed, the put won
 * and the file goes back (same content, so restoring over a fresh copy is harmless).
 */
async function removeUnlessRefreshed(
  layout: FsLayout,
  busyTemps: Set<string>,
  blob: BlobEntry,
): Promise<'deleted' | 'restored' | 'gone'> {
  const path = layout.pathOf(blob.ref);
  const aside = layout.newTempPath('gc');
  busyTemps.add(aside);
  try {
    try {
      await rename(path, aside);
    } catch (err) {
      if (hasErrno(err, 'ENOENT')) return 'gone';
      throw err;
    }
    const stats = await lstat(aside);
    if (stats.mtimeMs !== blob.mtimeMs) {
      await rename(aside, path);
      return 'restored';
    }
    await unlinkIfExists(aside);
    return 'deleted';
  } finally {
    busyTemps.delete(aside);
  }
}
