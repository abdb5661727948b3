/** `C=DE, O=…, CN=…` from Node's multi-line form of a certificate's subject or issuer. */
export function distinguishedName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
