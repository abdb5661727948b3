/**
 * Who signed, in the words an integrator checks: the subject commonName and, for TI card
 * certificates, the Telematik-ID from the admission extension (kim-domain §2).
 */
import 'reflect-metadata';
import type { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ADMISSION_OID, telematikIdFromAdmission } from '../../../adapters/konnektor/admission.js';
import { CARD_ASN1_LIMITS } from '../../../adapters/konnektor/asn1Limits.js';
import { distinguishedName } from './distinguishedName.js';

export interface SignerDescription {
  /** `CN=…`, or the whole subject when it has no commonName. */
  readonly subject: string;
  readonly telematikId?: string;
}

export function describeSigner(certificate: X509Certificate): SignerDescription {
  const parts = certificate.subject.split('\n').filter(Boolean);
  const cn = parts.find((p) => p.startsWith('CN='));
  const subject = cn ?? distinguishedName(certificate.subject);
  try {
    const parsed = new x509.X509Certificate(certificate.raw, { berOptions: CARD_ASN1_LIMITS });
    const admission = parsed.getExtension(ADMISSION_OID);
    if (admission === null) return { subject };
    return { subject, telematikId: telematikIdFromAdmission(Buffer.from(admission.value)) };
  } catch {
    // The Telematik-ID is extra information; a certificate without a readable one is still described.
    return { subject };
  }
}
