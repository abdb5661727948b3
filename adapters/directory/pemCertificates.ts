import { X509Certificate } from 'node:crypto';

const BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why a PEM file cannot be used; the caller adds the file name. */
export class PemError extends Error {
  override readonly name = 'PemError';
}

/** The DER certificates of a PEM file (one or more CERTIFICATE blocks; text around them is ignored). */
export function certificatesFromPem(text: string): Buffer[] {
  const certificates: Buffer[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    const n = certificates.length + 1;
    if (!BASE64.test(body)) throw new PemError(`certificate ${n} is not valid base64`);
    const der = Buffer.from(body, 'base64');
    try {
      certificates.push(Buffer.from(new X509Certificate(der).raw));
    } catch {
      throw new PemError(`certificate ${n} is not a readable X.509 certificate`);
    }
  }
  if (certificates.length === 0) throw new PemError('holds no PEM certificate (no BEGIN CERTIFICATE block)');
  return certificates;
}

export function certificatesToPem(certificates: readonly Buffer[]): string {
  return certificates
    .map((der) => {
      const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
      return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
    })
    .join('');
}
