import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The smtp-server versions whose code the patches in this folder were copied from and checked against. */
const VERIFIED_VERSIONS = ['3.21.6'];

let installed: string | undefined;

function installedVersion(): string {
  const require = createRequire(import.meta.url);
  installed ??= (
    JSON.parse(readFileSync(require.resolve('smtp-server/package.json'), 'utf8')) as { version: string }
  ).version;
  return installed;
}

/**
 * Start-up fails unless the installed smtp-server is a verified version and the source of the
 * function a patch replaces still contains `marker` (the statement the patch exists for): an
 * upgrade can then never silently undo or break a patch.
 */
export function assertPatchable(patch: string, replacedSource: string, marker: string, where: string): void {
  const version = installedVersion();
  if (!VERIFIED_VERSIONS.includes(version) || !replacedSource.includes(marker)) {
    throw new Error(
      `smtp-server ${version}: the ${patch} patch was verified against ${VERIFIED_VERSIONS.join(', ')}; ` +
        `re-check ${where}`,
    );
  }
}
