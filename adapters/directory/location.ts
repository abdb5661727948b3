import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryError } from './errors.js';

/** A folder given as a path or a `file:` URL, as an absolute path. */
export function folderPath(location: string | URL): string {
  if (location instanceof URL || /^file:/i.test(location)) {
    try {
      return fileURLToPath(location);
    } catch {
      throw new DirectoryError('UNSUPPORTED_LOCATION', `invalid file URL '${String(location)}'`);
    }
  }
  // `ldap://…` and the like are other directory adapters, not folders.
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location))
    throw new DirectoryError(
      'UNSUPPORTED_LOCATION',
      `unsupported certificate directory '${location}' (expected a folder path or a file: URL)`,
    );
  return resolve(location);
}
