/**
 * The send-side error mail (KOM-LE-A_2024-01, A_2028, A_2192-01; kim-domain §6.6, §7.5): the
 * recipients the message was not sent to, as an unsigned, unencrypted RFC 3464 delivery status
 * notification to the sender's own address. It carries no content of the message, only its
 * Message-ID. From and To are the authenticated address: the mail travels send-to-self through
 * the Fachdienst and must pass its sender checks (A_23421/A_23422).
 */
import { rfc5322Date } from '../../mail/rfc5322Date.js';
import type { RemovedRecipient } from '../ports.js';
import { makeField } from './headerBlock.js';
import { newMessageId } from './innerMail.js';
import { encodedWordField, multipartMail, textPart } from './mimeParts.js';

export interface RemovedRecipientsMailInput {
  /** The authenticated sender (MAIL FROM), who receives this mail. */
  readonly sender: string;
  readonly removed: readonly RemovedRecipient[];
  /** The Message-ID of the message that was sent without them. */
  readonly messageId: string | undefined;
  readonly reportingHost: string;
  readonly now: Date;
}

const SUBJECT = 'Die Nachricht konnte nicht für alle Empfänger verschlüsselt werden';

export function removedRecipientsMail(input: RemovedRecipientsMailInput): Buffer[] {
  const list = input.removed.map((r) => `  ${r.address} (${r.code}: ${r.reason})`).join('\r\n');
  const text =
    `Die Nachricht${input.messageId === undefined ? '' : ` ${input.messageId}`} wurde an folgende ` +
    'Empfänger nicht gesendet, weil für sie kein\r\n' +
    'gültiges Verschlüsselungszertifikat ermittelt werden konnte:\r\n\r\n' +
    `${list}\r\n\r\n` +
    'The message was not sent to the recipients above: no usable encryption certificate was found.\r\n';
  const perRecipient = input.removed
    .map((r) =>
      [
        `Final-Recipient: rfc822;${r.address}`,
        'Action: failed',
        'Status: 5.7.5',
        `Diagnostic-Code: X-KIM-Fehlermeldung; ${r.code} ${r.reason.replace(/[\r\n]+/g, ' ')}`,
      ].join('\r\n'),
    )
    .join('\r\n\r\n');
  const status = [
    `Reporting-MTA: dns;${input.reportingHost}`,
    `Arrival-Date: ${rfc5322Date(input.now)}`,
    '',
    perRecipient,
    '',
  ].join('\r\n');
  const codes = [...new Set(input.removed.map((r) => r.code))];
  const fields = [
    makeField('From', `KIM-Clientmodul <${input.sender}>`),
    makeField('To', `<${input.sender}>`),
    encodedWordField('Subject', SUBJECT),
    makeField('Date', rfc5322Date(input.now)),
    makeField('Message-ID', newMessageId(input.sender)),
    ...(input.messageId === undefined
      ? []
      : [makeField('In-Reply-To', input.messageId), makeField('References', input.messageId)]),
    makeField('Auto-Submitted', 'auto-replied'),
    ...codes.map((code) => makeField('X-KIM-Fehlermeldung', code)),
  ];
  return multipartMail(
    fields,
    [
      textPart(text),
      {
        fields: [makeField('Content-Type', 'message/delivery-status')],
        body: [Buffer.from(status, 'latin1')],
      },
    ],
    'multipart/report; report-type=delivery-status',
  );
}
