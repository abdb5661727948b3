/**
 * What the receiving Clientmodul checks about the signer beyond the signature mathematics
 * (kim-domain §2, §7.4): the certificate is a C.HCI.OSIG (KOM-LE-A_2129: keyUsage
 * nonRepudiation, an admission extension with a Telematik-ID, an RSA key), and, when trust
 * anchors are configured, it was issued by one of them and is valid at the signing time.
 *
 * Result: 05 when any of this fails; 01 when the issuer is a trust anchor; 07 ("mathematically
 * correct, certificate status could not be checked", a success) when no trust anchors are
 * configured. Revocation (OCSP) is not checked in either case: that is the Konnektor's job
 * (VerifyDocument) and not available to this software Clientmodul.
 */
import { X509Certificate } from 'node:crypto';
import { readCardCertificate, roleOf } from '../../../adapters/konnektor/cardCertificate.js';
import type { IntegrityCheckResult } from './resultCodes.js';

/** Tolerated clock skew between the signer and us. */
const SKEW_MS = 5 * 60_000;

export interface SignerCheck {
  readonly result: Extract<IntegrityCheckResult, '01' | '05' | '07'>;
  /** For logs; no content. */
  readonly reason: string;
}

export interface SignerCheckOptions {
  /**
   * The CA certificates (DER) that issue card certificates, as a TSL lists them: the signer's
   * issuer must be among them (the SignedData carries only the signer's certificate, so an
   * intermediate cannot be found elsewhere).
   */
  readonly trustAnchors?: readonly Buffer[];
  readonly signingTime?: Date;
  readonly now: Date;
}

export function checkSignerCertificate(der: Buffer, options: SignerCheckOptions): SignerCheck {
  let role: ReturnType<typeof roleOf>;
  try {
    role = roleOf(readCardCertificate(der, 'signer certificate'));
  } catch (error) {
    return { result: '05', reason: error instanceof Error ? error.message : 'unreadable' };
  }
  if (role !== 'osig') return { result: '05', reason: 'signer certificate is not an OSIG certificate' };
  if (options.trustAnchors === undefined) {
    return { result: '07', reason: 'no trust anchors configured: certificate path not checked' };
  }
  // The shell model at the signing time (certificates expire while mails wait in the mailbox),
  // unless the claimed time lies in the future.
  const signed = options.signingTime;
  const at =
    signed !== undefined && signed.getTime() <= options.now.getTime() + SKEW_MS ? signed : options.now;
  const signer = new X509Certificate(der);
  if (!validAt(signer, at))
    return { result: '05', reason: 'signer certificate not valid at the signing time' };
  for (const anchorDer of options.trustAnchors) {
    let anchor: X509Certificate;
    try {
      anchor = new X509Certificate(anchorDer);
    } catch {
      continue; // an unreadable anchor trusts nothing
    }
    if (!anchor.ca || !validAt(anchor, at) || signer.checkIssued(anchor) === false) continue;
    if (signer.verify(anchor.publicKey)) return { result: '01', reason: 'issued by a trust anchor' };
  }
  return { result: '05', reason: 'signer certificate not issued by a trust anchor' };
}

function validAt(certificate: X509Certificate, at: Date): boolean {
  const from = new Date(certificate.validFrom).getTime();
  const to = new Date(certificate.validTo).getTime();
  return from - SKEW_MS <= at.getTime() && at.getTime() <= to + SKEW_MS;
}
