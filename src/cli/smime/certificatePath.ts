/**
 * The certificate check of `kim smime verify --ca`: the signer certificate must be issued by one
 * of the given trust anchors. What is checked, and nothing more:
 *   - the signer certificate is valid at `at` (notBefore/notAfter), and the signingTime
 *     attribute, when the signature has one, lies within its validity;
 *   - an anchor issued it: names and key identifiers match and the anchor's key usage allows
 *     certificate signing (OpenSSL's X509_check_issued), the anchor is a CA (basicConstraints),
 *     and the certificate's signature verifies with the anchor's key;
 *   - that anchor is valid at `at`.
 * Every --ca certificate is trusted as given, like a TSL entry: an SMC-B CA certificate can be an
 * anchor by itself; the anchor's own issuer is not followed. Not checked: revocation (OCSP/CRL),
 * certificate policies, the signer's key usage.
 */
import type { X509Certificate } from 'node:crypto';
import { distinguishedName } from './distinguishedName.js';

export type CertificatePathResult =
  { readonly ok: true; readonly anchor: X509Certificate } | { readonly ok: false; readonly reason: string };

function subjectOf(certificate: X509Certificate): string {
  return distinguishedName(certificate.subject);
}

function validityProblem(certificate: X509Certificate, at: Date, what: string): string | undefined {
  const from = new Date(certificate.validFrom);
  const to = new Date(certificate.validTo);
  if (at < from) return `${what} is not valid before ${from.toISOString()}`;
  if (at > to) return `${what} expired on ${to.toISOString()}`;
  return undefined;
}

export function checkCertificatePath(
  signer: X509Certificate,
  anchors: readonly X509Certificate[],
  at: Date,
  signingTime?: Date,
): CertificatePathResult {
  const expired = validityProblem(signer, at, 'the signer certificate');
  if (expired !== undefined) return { ok: false, reason: expired };
  if (signingTime !== undefined) {
    const outside = validityProblem(signer, signingTime, 'the signer certificate');
    if (outside !== undefined)
      return { ok: false, reason: `signed at ${signingTime.toISOString()}, but ${outside}` };
  }
  const self = anchors.find((anchor) => anchor.raw.equals(signer.raw));
  if (self !== undefined) return { ok: true, anchor: self };

  const named = anchors.filter((anchor) => signer.checkIssued(anchor));
  if (named.length === 0)
    return {
      ok: false,
      reason: `no --ca certificate issued the signer certificate (its issuer: ${distinguishedName(signer.issuer)})`,
    };
  let problem = '';
  for (const anchor of named) {
    if (!anchor.ca) {
      problem = `the --ca certificate ${subjectOf(anchor)} is not a CA certificate`;
      continue;
    }
    if (!signer.verify(anchor.publicKey)) {
      problem = `the signer certificate's signature does not verify with the key of ${subjectOf(anchor)}`;
      continue;
    }
    const anchorExpired = validityProblem(anchor, at, `the --ca certificate ${subjectOf(anchor)}`);
    if (anchorExpired !== undefined) {
      problem = anchorExpired;
      continue;
    }
    return { ok: true, anchor };
  }
  return { ok: false, reason: problem };
}
