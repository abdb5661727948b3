/**
 * Which encryption certificates of a recipient the Clientmodul encrypts for (kim-domain §6.6,
 * §7.2 step 7): all usable ENC certificates the directory has for the address (KOM-LE-A_2022),
 * none when there is none (→ 4004), none when they belong to different Telematik-IDs
 * (KOM-LE-A_2178, A_2192-01 → 4005).
 *
 * Usable: a card certificate (RSA, admission with Telematik-ID) with the ENC key usage, valid
 * now. Others (expired, an OSIG or AUT certificate published by mistake) are skipped.
 */
import type { CertificateDirectory } from '../../../adapters/directory/index.js';
import { DirectoryError } from '../../../adapters/directory/index.js';
import type { CardCertificate } from '../../../adapters/konnektor/cardCertificate.js';
import { isValidAt, readCardCertificate, roleOf } from '../../../adapters/konnektor/cardCertificate.js';
import { DIFFERENT_TELEMATIK_IDS_CODE, NO_CERTIFICATE_CODE } from './resultCodes.js';

export type RecipientCertificates =
  | { readonly kind: 'usable'; readonly address: string; readonly certificates: Buffer[] }
  | {
      readonly kind: 'removed';
      readonly address: string;
      readonly code: string;
      readonly reason: string;
    };

/** The directory's answer for one address. Throws DirectoryError when the directory cannot answer at all. */
export async function recipientCertificates(
  directory: CertificateDirectory,
  address: string,
  now: Date,
): Promise<RecipientCertificates> {
  let published: readonly Buffer[];
  try {
    published = await directory.encryptionCertificates(address);
  } catch (error) {
    // A broken entry is this address's problem; an unreadable directory is everybody's (→ 451).
    if (
      error instanceof DirectoryError &&
      (error.code === 'BAD_CERTIFICATE_FILE' || error.code === 'DUPLICATE_ADDRESS')
    ) {
      return { kind: 'removed', address, code: NO_CERTIFICATE_CODE, reason: 'directory entry unreadable' };
    }
    throw error;
  }
  const usable = published.map((der) => usableCertificate(der, now)).filter((c) => c !== undefined);
  if (usable.length === 0) {
    return {
      kind: 'removed',
      address,
      code: NO_CERTIFICATE_CODE,
      reason: 'no usable encryption certificate',
    };
  }
  if (new Set(usable.map((c) => c.telematikId)).size > 1) {
    return {
      kind: 'removed',
      address,
      code: DIFFERENT_TELEMATIK_IDS_CODE,
      reason: 'encryption certificates of different Telematik-IDs',
    };
  }
  return { kind: 'usable', address, certificates: usable.map((c) => c.der) };
}

function usableCertificate(der: Buffer, now: Date): CardCertificate | undefined {
  try {
    const certificate = readCardCertificate(der, 'directory certificate');
    return roleOf(certificate) === 'enc' && isValidAt(certificate, now) ? certificate : undefined;
  } catch {
    // Not a card certificate (or unreadable): not usable; the address may have others.
    return undefined;
  }
}
