import { children, DerError, expectTlv, TAG } from './der.js';
import type { IssuerAndSerial } from './port.js';

/**
 * The issuer Name and serialNumber of a DER certificate, sliced out of the certificate's bytes.
 * Never re-encoded: recipients match RecipientInfos by these exact bytes (KOM-LE-A_2115-02).
 */
export function issuerAndSerialOf(certificate: Buffer): IssuerAndSerial {
  const cert = expectTlv(certificate, TAG.sequence, 'Certificate');
  const [tbs] = children(cert.content);
  if (tbs?.tag !== TAG.sequence) throw new DerError('Certificate: tbsCertificate missing');
  const fields = children(tbs.content);
  // version [0] EXPLICIT is absent in v1 certificates
  const start = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[start];
  const issuer = fields[start + 2];
  if (serial?.tag !== TAG.integer || issuer?.tag !== TAG.sequence)
    throw new DerError('Certificate: serialNumber or issuer missing');
  return { issuer: Buffer.from(issuer.element), serialNumber: Buffer.from(serial.content) };
}

export function sameIssuerAndSerial(a: IssuerAndSerial, b: IssuerAndSerial): boolean {
  return a.issuer.equals(b.issuer) && a.serialNumber.equals(b.serialNumber);
}
