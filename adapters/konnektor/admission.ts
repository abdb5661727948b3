/**
 * The admission extension (Common PKI, id-isismtt-at-admission 1.3.36.8.3.3) that carries the
 * Telematik-ID of a TI card certificate in `professionInfos[0].registrationNumber` (gemSpec_PKI).
 *
 *   Admissions ::= SEQUENCE { admissionAuthority GeneralName OPTIONAL,
 *                             contentsOfAdmissions SEQUENCE OF Admission }
 *   Admission ::= SEQUENCE { admissionAuthority [0] EXPLICIT GeneralName OPTIONAL,
 *                            namingAuthority [1] EXPLICIT NamingAuthority OPTIONAL,
 *                            professionInfos SEQUENCE OF ProfessionInfo }
 *   ProfessionInfo ::= SEQUENCE { namingAuthority [0] EXPLICIT NamingAuthority OPTIONAL,
 *                                 professionItems SEQUENCE OF DirectoryString,
 *                                 professionOIDs SEQUENCE OF OBJECT IDENTIFIER OPTIONAL,
 *                                 registrationNumber PrintableString OPTIONAL,
 *                                 addProfessionInfo OCTET STRING OPTIONAL }
 */
import { children, DerError, expectTlv, oid, TAG, tlv } from './der.js';

export const ADMISSION_OID = '1.3.36.8.3.3';

/** The characters of an ASN.1 PrintableString (X.680 §41.4). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintableString(value: string): boolean {
  return PRINTABLE.test(value);
}

function firstWithTag(content: Buffer, tag: number, skip: readonly number[], what: string): Buffer {
  for (const child of children(content)) {
    if (child.tag === tag) return child.content;
    if (!skip.includes(child.tag)) break;
  }
  throw new DerError(`admission: ${what} missing`);
}

/**
 * The Telematik-ID from the extension value (the DER of `Admissions`): the registrationNumber of
 * the first ProfessionInfo of the first Admission. Throws DerError when it is absent.
 */
export function telematikIdFromAdmission(extensionValue: Buffer): string {
  const admissions = expectTlv(extensionValue, TAG.sequence, 'Admissions');
  // admissionAuthority, when present, is a GeneralName: always context-tagged, never a SEQUENCE.
  const contents = children(admissions.content).find((c) => c.tag === TAG.sequence);
  if (contents === undefined) throw new DerError('admission: contentsOfAdmissions missing');
  const [admission] = children(contents.content);
  if (admission?.tag !== TAG.sequence) throw new DerError('admission: no Admission');
  const infos = firstWithTag(admission.content, TAG.sequence, [0xa0, 0xa1], 'professionInfos');
  const [info] = children(infos);
  if (info?.tag !== TAG.sequence) throw new DerError('admission: no ProfessionInfo');
  const fields = children(info.content);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // namingAuthority
  if (fields[i]?.tag !== TAG.sequence) throw new DerError('admission: professionItems missing');
  i++;
  if (fields[i]?.tag === TAG.sequence) i++; // professionOIDs
  const registration = fields[i];
  if (registration?.tag !== TAG.printableString)
    throw new DerError('admission: registrationNumber (Telematik-ID) missing');
  const value = registration.content.toString('latin1');
  if (value === '' || !isPrintableString(value))
    throw new DerError('admission: registrationNumber is not a valid PrintableString');
  return value;
}

export interface AdmissionContent {
  readonly telematikId: string;
  /** professionItems[0], e.g. `Betriebsstätte Arzt`. */
  readonly professionItem: string;
  /** professionOIDs[0], e.g. oid_praxis_arzt 1.2.276.0.76.4.50. */
  readonly professionOid: string;
}

/** The extension value (DER of `Admissions`) with one Admission and one ProfessionInfo. */
export function encodeAdmission(content: AdmissionContent): Buffer {
  if (content.telematikId === '' || !isPrintableString(content.telematikId))
    throw new DerError('the Telematik-ID must be a non-empty PrintableString');
  const professionInfo = tlv(
    TAG.sequence,
    tlv(TAG.sequence, tlv(TAG.utf8String, Buffer.from(content.professionItem, 'utf8'))),
    tlv(TAG.sequence, oid(content.professionOid)),
    tlv(TAG.printableString, Buffer.from(content.telematikId, 'latin1')),
  );
  const admission = tlv(TAG.sequence, tlv(TAG.sequence, professionInfo));
  return tlv(TAG.sequence, tlv(TAG.sequence, admission));
}
