import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPki } from '../../../adapters/tls/devPki.js';

export { openssl } from '../tls/helpers.js';

export const TELEMATIK_ID = '1-2.58.00000040';
export const HOLDER = 'Praxis Dr. Müller, Meier & Partner';

/** A fresh temp directory holding a dev PKI in `pki/` (root CA, no SMC-B CA yet). */
export async function tempPki(prefix: string): Promise<{ root: string; pkiDir: string }> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const pkiDir = join(root, 'pki');
  await createDevPki(pkiDir, { domains: ['praxis.kim.test'] });
  return { root, pkiDir };
}
