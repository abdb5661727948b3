/**
 * The header block of a mail (RFC 5322 §2.2), kept byte for byte: each field is the exact
 * bytes it had, folded lines and line end included, so fields can be copied from the inner
 * to the outer header unchanged (kim-domain §6.2) and compared after unfolding on receipt.
 */
import { chunksFrom, head, totalLength } from './chunks.js';
import { KimMessageError } from './errors.js';

/** No sane header block comes near this; a bound keeps a header search from scanning 40 MB. */
export const MAX_HEADER_BYTES = 1024 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;

export interface HeaderField {
  /** The field name in lower case; undefined for a line that is not a field (kept as it is). */
  readonly name: string | undefined;
  /** The whole field: name, colon, value, continuation lines, line end. */
  readonly raw: Buffer;
}

export interface SplitMail {
  /** The header block including the line end of its last field, without the empty line. */
  readonly header: Buffer;
  /** Everything after the empty line, as views of the input. */
  readonly body: Buffer[];
  /** False when the mail has no empty line: it is all header. */
  readonly separated: boolean;
}

/**
 * Splits a mail at its first empty line (CRLF or, leniently, LF). Throws KimMessageError
 * INVALID_MAIL when the header block is longer than `maxHeader`.
 */
export function splitMail(chunks: readonly Buffer[], maxHeader = MAX_HEADER_BYTES): SplitMail {
  const start = head(chunks, maxHeader + 2);
  const end = headerEnd(start);
  if (end !== undefined) {
    return {
      header: start.subarray(0, end.headerEnd),
      body: chunksFrom(chunks, end.bodyStart),
      separated: true,
    };
  }
  if (totalLength(chunks) > maxHeader) {
    throw new KimMessageError('INVALID_MAIL', `header block longer than ${maxHeader} bytes`);
  }
  return { header: start, body: [], separated: false };
}

/**
 * True when `start`, the first bytes of a mail, already shows where its header block ends:
 * reading more cannot move the split (a separator cut by the end of `start` is not taken).
 */
export function showsHeaderEnd(start: Buffer): boolean {
  return headerEnd(start) !== undefined;
}

function headerEnd(bytes: Buffer): { headerEnd: number; bodyStart: number } | undefined {
  if (bytes[0] === LF) return { headerEnd: 0, bodyStart: 1 };
  if (bytes[0] === CR && bytes[1] === LF) return { headerEnd: 0, bodyStart: 2 };
  for (let i = bytes.indexOf(LF); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i + 1] === LF) return { headerEnd: i + 1, bodyStart: i + 2 };
    if (bytes[i + 1] === CR && bytes[i + 2] === LF) return { headerEnd: i + 1, bodyStart: i + 3 };
  }
  return undefined;
}

/** The fields of a header block in order; continuation lines belong to the field before them. */
export function parseHeaderFields(header: Buffer): HeaderField[] {
  const fields: { name: string | undefined; start: number; end: number }[] = [];
  let pos = 0;
  while (pos < header.length) {
    const lf = header.indexOf(LF, pos);
    const end = lf < 0 ? header.length : lf + 1;
    const first = header[pos];
    const last = fields[fields.length - 1];
    if ((first === SP || first === HT) && last !== undefined) last.end = end;
    else fields.push({ name: fieldName(header, pos, end), start: pos, end });
    pos = end;
  }
  return fields.map((f) => ({ name: f.name, raw: header.subarray(f.start, f.end) }));
}

/** `name:` with printable US-ASCII except colon; WSP before the colon is the obsolete syntax (RFC 5322 §4.5). */
function fieldName(header: Buffer, start: number, end: number): string | undefined {
  const colon = header.indexOf(0x3a, start);
  if (colon <= start || colon >= end) return undefined;
  const name = header
    .subarray(start, colon)
    .toString('latin1')
    .replace(/[ \t]+$/, '');
  return /^[\x21-\x39\x3b-\x7e]+$/.test(name) ? name.toLowerCase() : undefined;
}

/** The value after the colon, still folded, without the final line end; bytes as latin1 characters. */
export function fieldValue(field: HeaderField): string {
  const text = field.raw.toString('latin1');
  return text.slice(text.indexOf(':') + 1).replace(/\r?\n$/, '');
}

/** RFC 5322 §2.2.3: a line end followed by WSP is removed. */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '');
}

/** The name as written in the field (original case). */
export function writtenName(field: HeaderField): string {
  const text = field.raw.toString('latin1');
  return text.slice(0, text.indexOf(':')).replace(/[ \t]+$/, '');
}

export function fieldsNamed(fields: readonly HeaderField[], name: string): HeaderField[] {
  return fields.filter((field) => field.name === name);
}

export function hasField(fields: readonly HeaderField[], name: string): boolean {
  return fields.some((field) => field.name === name);
}

/** A new field `Name: value` + CRLF. The value must be ASCII (encode words before). */
export function makeField(name: string, value: string): HeaderField {
  if (/[\r\n]/.test(value) || /[^\x20-\x7e\t]/.test(value)) {
    throw new KimMessageError('INVALID_ARGUMENT', `header ${name}: value must be one line of ASCII`);
  }
  return { name: name.toLowerCase(), raw: Buffer.from(`${name}: ${value}\r\n`, 'latin1') };
}

/** The field with CRLF line ends (fields of a received mail may use LF). */
export function withCrlf(field: HeaderField): HeaderField {
  const text = field.raw.toString('latin1');
  const normal = text.replace(/\r\n|\r|\n/g, '\r\n');
  const ended = normal.endsWith('\r\n') ? normal : `${normal}\r\n`;
  return ended === text ? field : { ...field, raw: Buffer.from(ended, 'latin1') };
}

const CRLF = Buffer.from('\r\n');

/** The header block of `fields`; a last field without line end gets CRLF. */
export function headerBytes(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    parts.push(field.raw);
    if (field.raw[field.raw.length - 1] !== LF) parts.push(CRLF);
  }
  return Buffer.concat(parts);
}

/** A mail from a header block and a body: header, empty line, body chunks (views). */
export function assembleMail(fields: readonly HeaderField[], body: readonly Buffer[]): Buffer[] {
  return [Buffer.concat([headerBytes(fields), CRLF]), ...body];
}
