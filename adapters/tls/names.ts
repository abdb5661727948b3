import { isIP } from 'node:net';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function validLabels(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}

/**
 * A KIM domain as used in addresses (`user@praxis.kim.telematik`): lower-case `a-z 0-9 . -`,
 * at least two labels, no empty labels, no label starting or ending with a hyphen.
 */
export function isKimDomain(name: string): boolean {
  return name.includes('.') && validLabels(name);
}

/** A DNS host name for a certificate's subjectAltName (`localhost` allowed; no wildcards). */
export function isHostname(name: string): boolean {
  return validLabels(name);
}

/** An IPv4 or IPv6 literal (no brackets, no zone id). */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
