/**
 * xtext (RFC 3461 §4): smtp-server hands us ENVID and ORCPT decoded; they are encoded again
 * before they go to the Fachdienst. Every octet outside "!".."~", and "+" and "=", becomes +XX.
 */
export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out +=
      byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d
        ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}
