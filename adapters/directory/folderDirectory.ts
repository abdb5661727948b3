/**
 * A certificate directory in a folder: one PEM file per KIM address, `<address>.pem`, holding
 * the address's encryption certificate(s). File names match case-insensitively. A changed file is
 * re-read on the next lookup (checked by stat); new and removed files are noticed when the cached
 * folder listing is older than `listingTtlMs`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addressKey } from './address.js';
import { DirectoryError } from './errors.js';
import { folderPath } from './location.js';
import { certificatesFromPem, PemError } from './pemCertificates.js';
import type { CertificateDirectory } from './port.js';

export interface FolderDirectoryOptions {
  /** How long a folder listing is reused. Default 1000 ms; 0 lists on every lookup. */
  readonly listingTtlMs?: number;
}

/** A certificate file is a handful of certificates; anything larger is not one. */
const MAX_FILE_BYTES = 256 * 1024;

interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
  readonly certificates: readonly Buffer[];
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export class FolderCertificateDirectory implements CertificateDirectory {
  readonly folder: string;
  readonly #ttlMs: number;
  #listing: { readonly at: number; readonly files: ReadonlyMap<string, readonly string[]> } | undefined;
  readonly #files = new Map<string, CachedFile>();

  /** `location`: a folder path or a `file:` URL. Use `openFolderDirectory` to check it exists. */
  constructor(location: string | URL, options: FolderDirectoryOptions = {}) {
    this.folder = folderPath(location);
    this.#ttlMs = options.listingTtlMs ?? 1000;
  }

  async encryptionCertificates(address: string): Promise<readonly Buffer[]> {
    // Anything that is not a KIM address cannot be in the directory (and must not name a path).
    const key = addressKey(address);
    if (key === undefined) return [];
    const names = (await this.#list()).get(key) ?? [];
    const [name, other] = names;
    if (name === undefined) return [];
    if (other !== undefined)
      throw new DirectoryError(
        'DUPLICATE_ADDRESS',
        `${join(this.folder, name)} and ${join(this.folder, other)} name the same address; keep one`,
        join(this.folder, name),
      );
    const certificates = await this.#read(join(this.folder, name));
    if (certificates === undefined) this.#listing = undefined; // removed since the listing
    return (certificates ?? []).map((der) => Buffer.from(der));
  }

  async #list(): Promise<ReadonlyMap<string, readonly string[]>> {
    const now = Date.now();
    if (this.#listing !== undefined && now - this.#listing.at < this.#ttlMs) return this.#listing.files;
    let entries: string[];
    try {
      entries = await readdir(this.folder);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR')
        throw new DirectoryError(
          'DIRECTORY_UNREADABLE',
          `certificate directory ${this.folder} not found`,
          this.folder,
        );
      throw new DirectoryError(
        'DIRECTORY_UNREADABLE',
        `cannot read certificate directory ${this.folder}: ${code ?? String(error)}`,
        this.folder,
      );
    }
    const files = new Map<string, string[]>();
    for (const entry of entries.sort()) {
      if (!entry.toLowerCase().endsWith('.pem')) continue;
      const key = addressKey(entry.slice(0, -'.pem'.length));
      if (key === undefined) continue;
      files.set(key, [...(files.get(key) ?? []), entry]);
    }
    this.#listing = { at: now, files };
    return files;
  }

  /** The file's certificates, from the cache while the file is unchanged; undefined when it is gone. */
  async #read(path: string): Promise<readonly Buffer[] | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        this.#files.delete(path);
        return undefined;
      }
      throw new DirectoryError(
        'BAD_CERTIFICATE_FILE',
        `cannot read ${path}: ${errnoCode(error) ?? String(error)}`,
        path,
      );
    }
    const cached = this.#files.get(path);
    if (
      cached !== undefined &&
      cached.mtimeMs === info.mtimeMs &&
      cached.size === info.size &&
      cached.ino === info.ino
    )
      return cached.certificates;
    if (!info.isFile() || info.size > MAX_FILE_BYTES)
      throw new DirectoryError('BAD_CERTIFICATE_FILE', `${path} is not a certificate file`, path);
    let text: string;
    try {
      text = await readFile(path, 'latin1');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw new DirectoryError(
        'BAD_CERTIFICATE_FILE',
        `cannot read ${path}: ${errnoCode(error) ?? String(error)}`,
        path,
      );
    }
    let certificates: Buffer[];
    try {
      certificates = certificatesFromPem(text);
    } catch (error) {
      if (!(error instanceof PemError)) throw error;
      this.#files.delete(path);
      throw new DirectoryError('BAD_CERTIFICATE_FILE', `${path}: ${error.message}`, path);
    }
    this.#files.set(path, { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, certificates });
    return certificates;
  }
}

/** A folder directory at `location` (path or `file:` URL); throws DIRECTORY_UNREADABLE when it is no folder. */
export async function openFolderDirectory(
  location: string | URL,
  options: FolderDirectoryOptions = {},
): Promise<FolderCertificateDirectory> {
  const directory = new FolderCertificateDirectory(location, options);
  let isDirectory = false;
  try {
    isDirectory = (await stat(directory.folder)).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory)
    throw new DirectoryError(
      'DIRECTORY_UNREADABLE',
      `certificate directory ${directory.folder} not found`,
      directory.folder,
    );
  return directory;
}
