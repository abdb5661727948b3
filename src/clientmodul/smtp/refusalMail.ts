import { randomUUID } from 'node:crypto';
import { rfc5322Date } from '../../mail/rfc5322Date.js';
import type { MessageBytes } from '../ports.js';
import type { SmtpReply } from '../upstream/smtpReply.js';
import { formatSmtpReply } from '../upstream/smtpReply.js';

export interface RefusedRecipient {
  readonly address: string;
  /** The Fachdienst's answer to RCPT TO. */
  readonly reply: SmtpReply;
}

export interface RefusalMailInput {
  /** The sender, who receives this mail (send-to-self through the Fachdienst, A_23422 exception). */
  readonly sender: string;
  readonly refused: readonly RefusedRecipient[];
  /** Message-ID of the client's mail, to tie the report to it. */
  readonly originalMessageId: string | null;
  /** The host name of the Clientmodul (Reporting-MTA). */
  readonly reportingHost: string;
  readonly now: Date;
}

/**
 * Vendor code of `X-KIM-Fehlermeldung` (A_20650-05: every CM error mail carries one; vendor codes
 * start with X): the Fachdienst refused some recipients while the others got the message.
 */
export const RECIPIENT_REFUSED_CODE = 'X5001';

const SUBJECT = 'Die Nachricht konnte nicht allen Empfängern zugestellt werden';

/**
 * The error mail the proxy sends when the Fachdienst refused some recipients at RCPT TO but
 * accepted others: the client already had its 250 for every RCPT (answered locally, §7.2), so
 * like any MTA that accepted a message, it reports the failures afterwards, as an unsigned,
 * unencrypted RFC 3464 delivery status notification to the sender (like the CM's other send-side
 * error mails, §7.5). It carries no content of the original message, only its Message-ID.
 */
export function recipientRefusalMail(input: RefusalMailInput): MessageBytes {
  const boundary = `=_kim-cm-${randomUUID()}`;
  const domain = input.sender.slice(input.sender.lastIndexOf('@') + 1);
  const list = input.refused.map((r) => `  ${r.address}: ${formatSmtpReply(r.reply)}`).join('\r\n');
  const text =
    'Die Nachricht wurde versendet, aber der KIM-Fachdienst hat sie für folgende Empfänger\r\n' +
    'abgelehnt. Diese Empfänger haben die Nachricht nicht erhalten:\r\n\r\n' +
    `${list}\r\n\r\n` +
    'The message was sent, but the KIM Fachdienst refused it for the recipients above.\r\n';
  const perRecipient = input.refused
    .map((r) =>
      [
        `Final-Recipient: rfc822;${r.address}`,
        'Action: failed',
        `Status: ${r.reply.enhanced ?? `${r.reply.code >= 500 ? 5 : 4}.0.0`}`,
        `Diagnostic-Code: smtp; ${formatSmtpReply(r.reply).replace(/[\r\n]+/g, ' ')}`,
      ].join('\r\n'),
    )
    .join('\r\n\r\n');
  const header = [
    `From: KIM-Clientmodul <${input.sender}>`,
    `To: <${input.sender}>`,
    `Subject: =?UTF-8?B?${Buffer.from(SUBJECT, 'utf8').toString('base64')}?=`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    ...(input.originalMessageId === null
      ? []
      : [`In-Reply-To: ${input.originalMessageId}`, `References: ${input.originalMessageId}`]),
    'Auto-Submitted: auto-replied',
    `X-KIM-Fehlermeldung: ${RECIPIENT_REFUSED_CODE}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
  ].join('\r\n');
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(text),
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns;${input.reportingHost}`,
    `Arrival-Date: ${rfc5322Date(input.now)}`,
    '',
    perRecipient,
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return [Buffer.from(`${header}\r\n\r\n${body}`, 'utf8')];
}

/** Base64 in lines of 76 characters, so the whole mail is 7-bit clean. */
function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
}
