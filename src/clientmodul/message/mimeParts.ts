/** Small MIME writers for the Clientmodul's own mails: encoded words, parts, multipart/mixed. */
import { randomUUID } from 'node:crypto';
import { base64Lines } from './base64.js';
import type { HeaderField } from './headerBlock.js';
import { headerBytes, makeField } from './headerBlock.js';

/** A body part: its header fields and body chunks (views, never copied). */
export interface MimePart {
  readonly fields: readonly HeaderField[];
  readonly body: readonly Buffer[];
}

/**
 * `Name: =?UTF-8?B?…?=` folded into encoded words of at most 75 characters (RFC 2047 §2),
 * never splitting a UTF-8 sequence; plain when the text is ASCII.
 */
export function encodedWordField(name: string, text: string): HeaderField {
  if (/^[\x20-\x7e]*$/.test(text)) return makeField(name, text);
  const words: string[] = [];
  let piece = '';
  for (const ch of text) {
    if (Buffer.byteLength(piece + ch, 'utf8') > 45) {
      words.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece !== '') words.push(piece);
  const encoded = words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`);
  return { name: name.toLowerCase(), raw: Buffer.from(`${name}: ${encoded.join('\r\n ')}\r\n`, 'latin1') };
}

/** A text/plain part, base64 so the mail stays 7-bit clean. */
export function textPart(text: string): MimePart {
  return {
    fields: [
      makeField('Content-Type', 'text/plain; charset=utf-8'),
      makeField('Content-Transfer-Encoding', 'base64'),
    ],
    body: base64Lines([Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'utf8')]),
  };
}

/** A mail embedded unchanged as message/rfc822 (RFC 2046 §5.2.1: identity encodings only). */
export function messagePart(mail: readonly Buffer[], filename: string): MimePart {
  return {
    fields: [
      makeField('Content-Type', 'message/rfc822'),
      makeField('Content-Transfer-Encoding', transferEncodingFor(mail)),
      makeField('Content-Disposition', `attachment; filename="${filename}"`),
    ],
    body: mail,
  };
}

/** 7bit, 8bit or binary (NUL, bare CR or LF), whichever the bytes need. */
export function transferEncodingFor(chunks: readonly Buffer[]): '7bit' | '8bit' | 'binary' {
  let eightBit = false;
  let previous = -1;
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k] as Buffer;
    const next = chunks[k + 1]?.[0] ?? -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (b >= 0x80) eightBit = true;
      else if (b === 0) return 'binary';
      else if (b === 0x0a && (i === 0 ? previous : chunk[i - 1]) !== 0x0d) return 'binary';
      else if (b === 0x0d && (i + 1 < chunk.length ? chunk[i + 1] : next) !== 0x0a) return 'binary';
    }
    if (chunk.length > 0) previous = chunk[chunk.length - 1] as number;
  }
  return eightBit ? '8bit' : '7bit';
}

/**
 * A multipart mail (default multipart/mixed): `fields` (without MIME-Version/Content-Type),
 * then the parts. The part bodies are chunks of the result, not copies.
 */
export function multipartMail(
  fields: readonly HeaderField[],
  parts: readonly MimePart[],
  type = 'multipart/mixed',
): Buffer[] {
  const boundary = `=_kim-cm-${randomUUID()}`;
  const header = headerBytes([
    ...fields,
    makeField('MIME-Version', '1.0'),
    makeField('Content-Type', `${type}; boundary="${boundary}"`),
  ]);
  const out: Buffer[] = [
    Buffer.concat([header, Buffer.from('\r\nThis is a multi-part message in MIME format.\r\n')]),
  ];
  for (const part of parts) {
    out.push(
      Buffer.concat([Buffer.from(`\r\n--${boundary}\r\n`), headerBytes(part.fields), Buffer.from('\r\n')]),
    );
    out.push(...part.body);
  }
  out.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return out;
}
