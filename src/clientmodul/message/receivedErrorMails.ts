/**
 * The error mails the Clientmodul delivers instead of a received KIM message (kim-domain §7.5):
 * multipart/mixed with a text/plain explanation and the mail it is about, the originator and
 * destination fields copied from it, the result codes as header fields. Unsigned: they never
 * leave the Clientmodul.
 */
import type { HeaderField } from './headerBlock.js';
import { hasField, makeField, withCrlf } from './headerBlock.js';
import { newMessageId } from './innerMail.js';
import type { MimePart } from './mimeParts.js';
import { encodedWordField, messagePart, multipartMail, textPart } from './mimeParts.js';
import { rfc5322Date } from '../../mail/rfc5322Date.js';
import type { DecryptionFailure, IntegrityCheckResult } from './resultCodes.js';
import {
  DECRYPTION_ERROR_CODES,
  DECRYPTION_FAILURE_SUBJECT,
  DECRYPTION_FAILURE_TEXTS,
  INTEGRITY_FAILURE_SUBJECT,
  INTEGRITY_TEXTS,
  integrityErrorCode,
  SECURITY_TEXT,
  UNSUPPORTED_VERSION_CODE,
  UNSUPPORTED_VERSION_SUBJECT,
  UNSUPPORTED_VERSION_TEXT,
} from './resultCodes.js';

/** KOM-LE-A_2046: Date/From/Sender/Reply-To/To/Cc are copied from the mail the error is about. */
const COPIED = new Set(['date', 'from', 'sender', 'reply-to', 'to', 'cc']);
/** A_21236 / A_20628: the Fachdienst's trace fields go to the client system. */
const TRACE = new Set(['return-path', 'received']);

export interface ReceivedMail {
  /** The outer header fields. */
  readonly fields: readonly HeaderField[];
  /** The message as delivered by the Fachdienst. */
  readonly chunks: readonly Buffer[];
}

export interface ErrorMailContext {
  /** The receiving account; its domain names the error mail's Message-ID. */
  readonly ownAddress: string;
  readonly now: Date;
}

/** Return-Path and Received of the outer message, in order, with CRLF line ends. */
export function traceFields(outer: readonly HeaderField[]): HeaderField[] {
  return outer.filter((f) => f.name !== undefined && TRACE.has(f.name)).map(withCrlf);
}

function header(
  received: ReceivedMail,
  source: readonly HeaderField[],
  subject: string,
  results: readonly HeaderField[],
  context: ErrorMailContext,
): HeaderField[] {
  const copied = source.filter((f) => f.name !== undefined && COPIED.has(f.name)).map(withCrlf);
  return [
    ...traceFields(received.fields),
    ...copied,
    ...(hasField(copied, 'date') ? [] : [makeField('Date', rfc5322Date(context.now))]),
    encodedWordField('Subject', subject),
    // A new identity: the client system must not take the error mail for the message itself.
    makeField('Message-ID', newMessageId(context.ownAddress)),
    ...results,
  ];
}

/** KOM-LE-A_2046: the received S/MIME mail attached, so it can be forwarded to oneself later. */
export function decryptionFailureMail(
  received: ReceivedMail,
  result: DecryptionFailure,
  context: ErrorMailContext,
): Buffer[] {
  const results = [
    makeField('X-KIM-DecryptionResult', result),
    makeField('X-KIM-Fehlermeldung', DECRYPTION_ERROR_CODES[result]),
  ];
  return multipartMail(header(received, received.fields, DECRYPTION_FAILURE_SUBJECT, results, context), [
    textPart(DECRYPTION_FAILURE_TEXTS[result]),
    messagePart(received.chunks, 'KIM-Nachricht.eml'),
  ]);
}

/** A_21391-02: the original as message/rfc822, X-KIM-Fehlermeldung 4008. */
export function unsupportedVersionMail(received: ReceivedMail, context: ErrorMailContext): Buffer[] {
  const results = [makeField('X-KIM-Fehlermeldung', UNSUPPORTED_VERSION_CODE)];
  return multipartMail(header(received, received.fields, UNSUPPORTED_VERSION_SUBJECT, results, context), [
    textPart(UNSUPPORTED_VERSION_TEXT),
    messagePart(received.chunks, 'KIM-Nachricht.eml'),
  ]);
}

/**
 * A_23165 (FAQ): the content is replaced by the security text; the decrypted original is
 * embedded (view at own risk). `source` supplies the copied fields: the signed inner header
 * when the signature verified (an altered outer From must not be what the client shows), the
 * outer header otherwise.
 */
export function integrityFailureMail(
  received: ReceivedMail,
  source: readonly HeaderField[],
  failures: readonly IntegrityCheckResult[],
  embedded: MimePart,
  context: ErrorMailContext,
): Buffer[] {
  const codes = [...new Set(failures.map(integrityErrorCode))];
  const results = [
    makeField('X-KIM-DecryptionResult', '00'),
    ...failures.map((r) => makeField('X-KIM-IntegrityCheckResult', r)),
    ...codes.map((code) => makeField('X-KIM-Fehlermeldung', code)),
  ];
  const details = failures.map((r) => `Prüfergebnis ${r}: ${INTEGRITY_TEXTS[r]}`).join('\r\n');
  return multipartMail(header(received, source, INTEGRITY_FAILURE_SUBJECT, results, context), [
    textPart(`${SECURITY_TEXT}\r\n\r\n${details}`),
    embedded,
  ]);
}
