/**
 * The SMTP proxy's message pipeline (kim-domain §7.2 steps 6–12): find every recipient's
 * encryption certificates, drop those without usable ones (and from To/Cc), seal the mail for
 * the others and the sender, and report the dropped ones to the sender.
 *
 * Decisions:
 * - To/Cc keep only addresses that passed the certificate check, plus the sender's (A_23174:
 *   only RCPT-checked addresses may remain); an address listed but not in RCPT TO is removed
 *   too. A field left empty is dropped.
 * - Bcc is removed from the mail (innerMail.ts), the blind recipients stay RCPT recipients.
 *   They cannot be fully hidden: one encryption for all recipients (KOM-LE-A_2022) means the
 *   recipient-emails attribute, readable in every copy, names each of them. Hiding them would
 *   need one message per blind recipient, which the one-message SealResult cannot express.
 * - The sender's copy is labelled with the `Sender:`/`From:` address (§6.6), falling back to
 *   MAIL FROM; whether those agree is the Fachdienst's check (A_23422).
 */
import { DirectoryError } from '../../../adapters/directory/index.js';
import type { CertificateDirectory } from '../../../adapters/directory/index.js';
import type { Konnektor } from '../../../adapters/konnektor/index.js';
import type { Logger } from '../../logging/logger.js';
import type { OutgoingMailProcessor, RemovedRecipient, SealRequest, SealResult } from '../ports.js';
import { senderAddressOf, withoutAddresses } from './addressList.js';
import { totalLength } from './chunks.js';
import { KimMessageError } from './errors.js';
import type { HeaderField } from './headerBlock.js';
import {
  assembleMail,
  fieldsNamed,
  fieldValue,
  makeField,
  parseHeaderFields,
  splitMail,
} from './headerBlock.js';
import { newMessageId } from './innerMail.js';
import { normaliseLineEnds } from './lineEnds.js';
import type { RecipientCertificates } from './recipientCertificates.js';
import { recipientCertificates } from './recipientCertificates.js';
import { removedRecipientsMail } from './removedRecipientsMail.js';
import { sealKimMessage } from './sealKimMessage.js';
import type { ClientmodulVersions } from './versions.js';

export interface KimMailSealerDeps {
  readonly konnektor: Konnektor;
  readonly directory: CertificateDirectory;
  readonly now?: () => Date;
  readonly versions?: ClientmodulVersions;
  readonly dataTimeToLiveDays?: number;
  readonly log?: Logger;
  /** Reporting-MTA of the error mails. Default `kim-clientmodul`. */
  readonly hostname?: string;
}

/** §7.5: what the primary system shows when no recipient is left (SMTP text is ASCII). */
const NO_RECIPIENT_TEXT =
  'Die Nachricht konnte nicht gesendet werden, weil fuer keinen Empfaenger gueltige ' +
  'Verschluesselungszertifikate ermittelt werden konnten.';

const refusals = {
  tooBig: (limit: number): SealResult => ({
    kind: 'refused',
    code: 552,
    enhanced: '5.3.4',
    text: `Message exceeds the maximum mail size ${limit}`,
  }),
  senderWithoutCertificate: (): SealResult => ({
    kind: 'refused',
    code: 553,
    enhanced: '5.7.5',
    text: 'No encryption certificate for the sender on the card (Absender ohne Verschluesselungszertifikat)',
  }),
  noRecipientLeft: (): SealResult => ({
    kind: 'refused',
    code: 451,
    enhanced: '4.7.5',
    text: NO_RECIPIENT_TEXT,
  }),
  sealingFailed: (): SealResult => ({
    kind: 'refused',
    code: 451,
    enhanced: '4.7.5',
    text: 'Die Nachricht konnte nicht signiert oder verschluesselt werden, bitte spaeter erneut senden',
  }),
  directoryUnavailable: (): SealResult => ({
    kind: 'refused',
    code: 451,
    enhanced: '4.4.3',
    text: 'Verzeichnisdienst nicht erreichbar, bitte spaeter erneut senden',
  }),
  headerTooLarge: (): SealResult => ({
    kind: 'refused',
    code: 554,
    enhanced: '5.6.0',
    text: 'Message header block too large',
  }),
} as const;

export class KimMailSealer implements OutgoingMailProcessor {
  readonly #deps: KimMailSealerDeps;

  constructor(deps: KimMailSealerDeps) {
    this.#deps = deps;
  }

  async seal(request: SealRequest): Promise<SealResult> {
    const { konnektor, log } = this.#deps;
    const now = this.#deps.now?.() ?? new Date();
    if (request.maxMailSize !== undefined && totalLength(request.mail) > request.maxMailSize) {
      return refusals.tooBig(request.maxMailSize);
    }
    // FAQ: without the sender's own copy the message is not sent at all.
    if (konnektor.encryptionCertificates().length === 0) return refusals.senderWithoutCertificate();

    let fields: HeaderField[];
    let body: Buffer[];
    try {
      ({ fields, body } = parsed(normaliseLineEnds(request.mail)));
    } catch (error) {
      if (!(error instanceof KimMessageError)) throw error;
      return refusals.headerTooLarge();
    }
    const senderAddress = senderAddressOf(fields) ?? request.sender;
    const isSender = (address: string): boolean =>
      address.toLowerCase() === senderAddress.toLowerCase() ||
      address.toLowerCase() === request.sender.toLowerCase();

    let lookups: RecipientCertificates[];
    try {
      lookups = await Promise.all(
        distinct(request.recipients).map((address) =>
          // The sender's copy covers a sender among the recipients (send to self).
          isSender(address)
            ? Promise.resolve<RecipientCertificates>({ kind: 'usable', address, certificates: [] })
            : recipientCertificates(this.#deps.directory, address, now),
        ),
      );
    } catch (error) {
      log?.error({ err: error }, 'certificate directory not available');
      return error instanceof DirectoryError ? refusals.directoryUnavailable() : refusals.sealingFailed();
    }
    const removed: RemovedRecipient[] = lookups
      .filter((l) => l.kind === 'removed')
      .map((l) => ({ address: l.address, code: l.code, reason: l.reason }));
    const kept = lookups.filter((l) => l.kind === 'usable');
    if (kept.length === 0) {
      log?.info({ removed: removed.length }, 'no recipient with a usable encryption certificate');
      return refusals.noRecipientLeft();
    }

    const allowed = new Set(kept.map((l) => l.address.toLowerCase()));
    const keep = (address: string): boolean => allowed.has(address.toLowerCase()) || isSender(address);
    fields = fields
      .map((f) => (f.name === 'to' || f.name === 'cc' ? withoutAddresses(f, keep) : f))
      .filter((f) => f !== undefined);
    // Generated here rather than in sealKimMessage, so the error mail can name the message.
    if (fieldsNamed(fields, 'message-id').length === 0) {
      fields.push(makeField('Message-ID', newMessageId(senderAddress)));
    }

    let message: Buffer[];
    try {
      ({ message } = await sealKimMessage({
        mail: assembleMail(fields, body),
        konnektor,
        senderAddress,
        recipients: kept.filter((l) => l.certificates.length > 0),
        now,
        ...(this.#deps.versions === undefined ? {} : { versions: this.#deps.versions }),
        ...(this.#deps.dataTimeToLiveDays === undefined
          ? {}
          : { dataTimeToLiveDays: this.#deps.dataTimeToLiveDays }),
      }));
    } catch (error) {
      if (error instanceof KimMessageError && error.code === 'SENDER_WITHOUT_CERTIFICATE') {
        return refusals.senderWithoutCertificate();
      }
      // KOM-LE-A_2021: signing or encryption failed (Konnektor, card) → 451, the client retries.
      log?.error({ err: error }, 'sealing failed');
      return refusals.sealingFailed();
    }
    if (request.maxMailSize !== undefined && totalLength(message) > request.maxMailSize) {
      return refusals.tooBig(request.maxMailSize);
    }
    log?.info({ recipients: kept.length, removed: removed.length }, 'message sealed');
    const messageId = fieldsNamed(fields, 'message-id')[0];
    return {
      kind: 'sealed',
      message,
      recipients: kept.map((l) => l.address),
      removed,
      ...(removed.length === 0
        ? {}
        : {
            errorMail: removedRecipientsMail({
              sender: request.sender,
              removed,
              messageId: messageId === undefined ? undefined : fieldValue(messageId).trim(),
              reportingHost: this.#deps.hostname ?? 'kim-clientmodul',
              now,
            }),
          }),
    };
  }
}

function parsed(mail: Buffer[]): { fields: HeaderField[]; body: Buffer[] } {
  const split = splitMail(mail);
  return { fields: parseHeaderFields(split.header), body: split.body };
}

/** RCPT TO addresses once each (case-insensitively), first spelling kept. */
function distinct(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
