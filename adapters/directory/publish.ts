/**
 * Publishes a card's encryption certificate(s) for a KIM address into a folder directory, the
 * way a card issuer and the Account Manager would make them findable in the VZD.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addressFileName, addressKey } from './address.js';
import { DirectoryError } from './errors.js';
import { folderPath } from './location.js';
import { certificatesToPem } from './pemCertificates.js';

/**
 * Writes `<address>.pem` (lower case) in `folder` (path or `file:` URL, created if missing) with
 * `certificates` (DER), replacing what was published for the address before, including files
 * that spell it in other case. Returns the file written. Throws DirectoryError INVALID_ADDRESS,
 * INVALID_CERTIFICATE.
 */
export async function publishEncryptionCertificates(
  folder: string | URL,
  address: string,
  certificates: readonly Buffer[],
): Promise<string> {
  const key = addressKey(address);
  if (key === undefined)
    throw new DirectoryError(
      'INVALID_ADDRESS',
      `${JSON.stringify(address)} is not a KIM address (local@domain, a-z 0-9 . - _)`,
    );
  if (certificates.length === 0)
    throw new DirectoryError('INVALID_CERTIFICATE', `no certificate to publish for ${address}`);
  certificates.forEach((der, i) => {
    try {
      new X509Certificate(der);
    } catch {
      throw new DirectoryError(
        'INVALID_CERTIFICATE',
        `certificate ${i + 1} for ${address} is not a DER X.509 certificate`,
      );
    }
  });
  const dir = folderPath(folder);
  await mkdir(dir, { recursive: true });
  const target = join(dir, addressFileName(key));
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, certificatesToPem(certificates), { mode: 0o644, flag: 'wx' });
    await chmod(tmp, 0o644);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  for (const entry of await readdir(dir)) {
    if (entry !== addressFileName(key) && entry.toLowerCase() === addressFileName(key))
      await rm(join(dir, entry), { force: true });
  }
  return target;
}
