/**
 * The result and error codes the Clientmodul reports to the client system (kim-domain §7.4,
 * §7.5) and the texts of its error mails. The German texts paraphrase Tab_Fehlertext_Entschl
 * and Tab_Verm_Sig_Prüf; the normative wording was not available (kim-domain §13).
 */

/** `X-KIM-DecryptionResult` (KOM-LE-A_2047-02). */
export type DecryptionResult = '00' | '01' | '02' | '03';
export type DecryptionFailure = Exclude<DecryptionResult, '00'>;

/** `X-KIM-IntegrityCheckResult` (KOM-LE-A_2050-05/-06); 01 and 07 are successes. */
export type IntegrityCheckResult = '01' | '02' | '03' | '04' | '05' | '06' | '07' | '08' | '09';

/** `X-KIM-Fehlermeldung` of a decryption failure (§7.5: 4009 / 4010 / 4011). */
export const DECRYPTION_ERROR_CODES: Readonly<Record<DecryptionFailure, string>> = {
  '01': '4009',
  '02': '4010',
  '03': '4011',
};

export const UNSUPPORTED_VERSION_CODE = '4008';
export const NO_CERTIFICATE_CODE = '4004';
export const DIFFERENT_TELEMATIK_IDS_CODE = '4005';

/**
 * Vendor code (A_20650-05: vendor codes start with X) for a signature that does not verify
 * (IntegrityCheckResult 02–06): §7.5 names 4014/4015 only for the manipulations 08/09, yet every
 * CM error mail carries an X-KIM-Fehlermeldung. X5001 is the SMTP proxy's (refused recipients).
 */
export const SIGNATURE_FAILED_CODE = 'X5002';

export function integrityErrorCode(result: IntegrityCheckResult): string {
  if (result === '08') return '4014';
  if (result === '09') return '4015';
  return SIGNATURE_FAILED_CODE;
}

export function isIntegritySuccess(result: IntegrityCheckResult): boolean {
  return result === '01' || result === '07';
}

export const DECRYPTION_FAILURE_SUBJECT = 'Die Nachricht konnte nicht entschlüsselt werden';
export const UNSUPPORTED_VERSION_SUBJECT = 'Die KIM-Version der empfangenen Nachricht wird nicht unterstützt';
export const INTEGRITY_FAILURE_SUBJECT =
  'Sicherheitswarnung: Die Prüfung der KIM-Nachricht ist fehlgeschlagen';

export const DECRYPTION_FAILURE_TEXTS: Readonly<Record<DecryptionFailure, string>> = {
  '01':
    'Die Nachricht konnte nicht entschlüsselt werden, weil der Schlüssel nicht verfügbar ist.\r\n' +
    'Bitte stecken Sie die Karte (SMC-B oder HBA) und schalten Sie sie frei. Leiten Sie die\r\n' +
    'angehängte Nachricht anschließend an Ihre eigene KIM-Adresse weiter.',
  '02':
    'Die Nachricht konnte nicht entschlüsselt werden, weil sie als KIM-Nachricht gekennzeichnet ist,\r\n' +
    'aber nicht dem KIM-Format entspricht. Bitte wenden Sie sich an den Absender.',
  '03':
    'Die Nachricht konnte nicht entschlüsselt werden, weil der Konnektor nicht erreichbar ist.\r\n' +
    'Bitte leiten Sie die angehängte Nachricht später an Ihre eigene KIM-Adresse weiter.',
};

export const UNSUPPORTED_VERSION_TEXT =
  'Die empfangene Nachricht verwendet eine KIM-Version, die dieses Clientmodul nicht unterstützt.\r\n' +
  'Die Nachricht ist unverändert angehängt. Bitte wenden Sie sich an den Absender oder an Ihren\r\n' +
  'Administrator.';

/** The fixed security text of an integrity failure (A_23165 as amended by the FAQ). */
export const SECURITY_TEXT =
  'Achtung: Bei der Prüfung dieser KIM-Nachricht wurde eine Sicherheitsverletzung festgestellt.\r\n' +
  'Zu Ihrem Schutz wurde der Inhalt der Nachricht durch diesen Hinweis ersetzt. Bitte wenden Sie\r\n' +
  'sich an den Absender oder an Ihren Administrator.\r\n' +
  'Die ursprüngliche Nachricht ist als Anhang eingebettet. Das Öffnen des Anhangs erfolgt auf\r\n' +
  'eigene Gefahr.';

export const INTEGRITY_TEXTS: Readonly<Record<IntegrityCheckResult, string>> = {
  '01': 'Die Signatur wurde erfolgreich geprüft.',
  '02': 'Die Integrität der Nachricht ist verletzt.',
  '03': 'Die Nachricht ist nicht signiert.',
  '04': 'Das Format der Signatur ist fehlerhaft.',
  '05': 'Der Zertifizierungspfad des Signaturzertifikats ist nicht gültig.',
  '06': 'Die Signatur konnte nicht geprüft werden.',
  '07': 'Die Signatur ist mathematisch korrekt; der Zertifikatsstatus konnte nicht geprüft werden.',
  '08':
    'Die Nachricht wurde nach der Verschlüsselung manipuliert und möglicherweise an nicht\r\n' +
    'berechtigte Personen gesendet: Absender- oder Empfängerangaben weichen von den signierten ab.',
  '09': 'Die Nachricht wurde so manipuliert, dass ein anderer Nutzer sie entschlüsseln kann.',
};
