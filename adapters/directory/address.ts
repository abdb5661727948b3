import { isKimDomain } from '../tls/names.js';

/** kim-domain §2 (A_21455-01): local part `A-Z a-z 0-9 . - _`, at most 64 characters. */
const LOCAL_PART = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_DOMAIN = 189;

/**
 * The lower-cased address when it is a syntactically valid KIM address, else undefined.
 * Lower case is the directory's key: KIM addresses compare case-insensitively. The syntax check
 * also keeps an address from naming a path outside the directory (no `/`, no leading `.`).
 */
export function addressKey(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  if (!LOCAL_PART.test(local) || local.startsWith('.')) return undefined;
  if (domain.length > MAX_DOMAIN || !isKimDomain(domain)) return undefined;
  return `${local.toLowerCase()}@${domain}`;
}

/** The file in a directory folder that holds `key`'s certificates. */
export function addressFileName(key: string): string {
  return `${key}.pem`;
}
