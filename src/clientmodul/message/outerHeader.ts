/**
 * The header of the outer KIM message (kim-domain §6.2, KOM-LE-A_2098-03 … A_2104, A_22417-01):
 * the originator, destination, date, Message-ID and X-KIM-* fields copied byte for byte from the
 * inner mail, then the fixed Subject, X-KOM-LE-Version, Expires and the S/MIME entity fields.
 */
import { rfc5322Date } from '../../mail/rfc5322Date.js';
import type { HeaderField } from './headerBlock.js';
import { headerBytes, makeField } from './headerBlock.js';

/** Copied unchanged from the inner header (Bcc is never there, see innerMail.ts). */
const COPIED = new Set(['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id']);

export const OUTER_SUBJECT = 'KOM-LE-Nachricht';
/** Without KAS (A_2099): the version the receiving Clientmodul needs. */
export const KOM_LE_VERSION = '1.0';

const DAY_MS = 24 * 3600 * 1000;

export interface OuterHeaderOptions {
  readonly now: Date;
  /** The sender account's dataTimeToLive: Expires = now + this (A_22417-01). */
  readonly dataTimeToLiveDays: number;
}

/** The outer header block with its terminating empty line. */
export function outerHeader(inner: readonly HeaderField[], options: OuterHeaderOptions): Buffer {
  const copied = inner.filter(
    (field) => field.name !== undefined && (COPIED.has(field.name) || field.name.startsWith('x-kim-')),
  );
  const expires = new Date(options.now.getTime() + options.dataTimeToLiveDays * DAY_MS);
  const own = [
    makeField('Subject', OUTER_SUBJECT),
    makeField('X-KOM-LE-Version', KOM_LE_VERSION),
    makeField('Expires', rfc5322Date(expires)),
    makeField('MIME-Version', '1.0'),
    makeField(
      'Content-Type',
      'application/pkcs7-mime; smime-type=authenticated-enveloped-data; name=smime.p7m',
    ),
    makeField('Content-Transfer-Encoding', 'base64'),
    makeField('Content-Disposition', 'attachment; filename=smime.p7m'),
  ];
  return Buffer.concat([headerBytes([...copied, ...own]), Buffer.from('\r\n')]);
}
