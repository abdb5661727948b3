/**
 * The client mail as it is signed (kim-domain §6.1 step 1, §7.2 step 6): CRLF line ends, no
 * Bcc, a Date and a Message-ID (an MSA adds them when the client did not, RFC 6409 §8), the
 * Dienstkennung default when missing (A_19488-02) and this Clientmodul's version headers
 * (A_21388-01).
 */
import { randomUUID } from 'node:crypto';
import { rfc5322Date } from '../../mail/rfc5322Date.js';
import type { HeaderField } from './headerBlock.js';
import { hasField, makeField } from './headerBlock.js';
import type { ClientmodulVersions } from './versions.js';

export const DEFAULT_DIENSTKENNUNG = 'KIM-Mail;Default;V1.0';

/** Set by this Clientmodul; a value the client system wrote would describe some other product. */
const OWN_FIELDS = new Set(['x-kim-cmversion', 'x-kim-ptversion', 'x-kim-konversion']);

export interface InnerMailOptions {
  /** The sender's address; its domain names generated Message-IDs. */
  readonly senderAddress: string;
  readonly now: Date;
  readonly versions: ClientmodulVersions;
}

/**
 * The header fields of the inner mail from those of the client mail (CRLF-normalised).
 * Bcc is removed (RFC 5322 §3.6.3, the way MTAs handle it): the inner header is signed and
 * shown to every recipient, and its copy in the outer header is readable by every relay, so
 * a Bcc field there would disclose the blind recipients to all of them. They remain
 * recipients of the same message (RCPT TO); see kimMailSealer for what recipient-emails shows.
 */
export function innerHeaderFields(client: readonly HeaderField[], options: InnerMailOptions): HeaderField[] {
  const fields = client.filter(
    (field) => field.name !== 'bcc' && (field.name === undefined || !OWN_FIELDS.has(field.name)),
  );
  if (!hasField(fields, 'date')) fields.push(makeField('Date', rfc5322Date(options.now)));
  if (!hasField(fields, 'message-id'))
    fields.push(makeField('Message-ID', newMessageId(options.senderAddress)));
  if (!hasField(fields, 'x-kim-dienstkennung'))
    fields.push(makeField('X-KIM-Dienstkennung', DEFAULT_DIENSTKENNUNG));
  fields.push(
    makeField('X-KIM-CMVersion', options.versions.cmVersion),
    makeField('X-KIM-PTVersion', options.versions.ptVersion),
    makeField('X-KIM-KONVersion', options.versions.konVersion),
  );
  return fields;
}

/** `<uuid@domain-of-the-sender>` (RFC 5322 §3.6.4: unique, right side a domain the sender owns). */
export function newMessageId(senderAddress: string): string {
  const at = senderAddress.lastIndexOf('@');
  const domain = at < 0 ? 'kim.invalid' : senderAddress.slice(at + 1).toLowerCase();
  return `<${randomUUID()}@${/^[a-z0-9.-]+$/.test(domain) ? domain : 'kim.invalid'}>`;
}
