/**
 * KIM address syntax (A_21455-01): local part `A-Z a-z 0-9 . - _` up to 64 characters, domain
 * `a-z 0-9 . -`. Addresses are compared case-insensitively and never rewritten.
 */
const ADDRESS = /^[A-Za-z0-9._-]{1,64}@[a-z0-9](?:[a-z0-9.-]{0,187}[a-z0-9])?$/;

export function isKimAddress(address: string): boolean {
  return ADDRESS.test(address) && address.split('@')[1]?.includes('.') === true;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function addressKey(address: string): string {
  return address.toLowerCase();
}
