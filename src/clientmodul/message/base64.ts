/** Base64 for S/MIME bodies over chunk lists: 76-character lines (RFC 2045 §6.8) out, lenient lines in. */
import { KimMessageError } from './errors.js';

const LINE_BYTES = 57; // 76 characters
const LINES_PER_BLOCK = 1024;
const BLOCK_BYTES = LINE_BYTES * LINES_PER_BLOCK;

/** `chunks` base64-encoded in CRLF-terminated lines of 76 characters, ~78 KiB per output chunk. */
export function base64Lines(chunks: readonly Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let filled = 0;
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(BLOCK_BYTES - filled, chunk.length - offset);
      block.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === BLOCK_BYTES) {
        out.push(encodeLines(block));
        filled = 0;
      }
    }
  }
  if (filled > 0) out.push(encodeLines(block.subarray(0, filled)));
  return out;
}

function encodeLines(bytes: Buffer): Buffer {
  const encoded = Buffer.from(bytes.toString('base64'), 'latin1');
  const lines = Math.ceil(encoded.length / 76);
  const out = Buffer.allocUnsafe(encoded.length + 2 * lines);
  let o = 0;
  for (let i = 0; i < encoded.length; i += 76) {
    o += encoded.copy(out, o, i, Math.min(i + 76, encoded.length));
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  return out;
}

const DECODE_SLICE = 1024 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const PAD = 0x3d;

/**
 * Decodes a base64 body given as chunks (CRLF or LF line breaks anywhere, also across chunks).
 * Throws KimMessageError INVALID_MAIL for characters outside the alphabet, data after padding
 * or a length that is not a whole number of quanta.
 *
 * Node decodes whole lines natively (it skips the line breaks); validity is then checked by
 * arithmetic: every 4 characters must have given 3 bytes, which fails for any character Node
 * skipped or stopped at. A regular expression over 35 MB of text took half a second.
 */
export function decodeBase64(chunks: readonly Buffer[]): Buffer {
  try {
    return decodeWholeLines(chunks);
  } catch (error) {
    // Lines that are not whole quanta (legal, but no common encoder writes them).
    if (error instanceof OddLineLengths) return decodeAnyLayout(chunks);
    throw error;
  }
}

class OddLineLengths extends Error {}

function decodeWholeLines(chunks: readonly Buffer[]): Buffer {
  let estimate = 0;
  for (const chunk of chunks) estimate += chunk.length;
  const out = Buffer.allocUnsafe(Math.ceil(estimate / 4) * 3);
  let written = 0;
  let ended = false;
  let carry: Buffer | null = null; // a line split across chunks

  /** Decodes `text`, which holds whole lines; `final` allows padding and a partial last line. */
  const decodeLines = (text: Buffer): void => {
    let breaks = 0;
    for (let at = text.indexOf(LF); at !== -1; at = text.indexOf(LF, at + 1)) {
      breaks += at > 0 && text[at - 1] === CR ? 2 : 1;
    }
    const chars = text.length - breaks;
    if (chars === 0) return;
    if (ended) throw new KimMessageError('INVALID_MAIL', 'base64 data after padding');
    if (chars % 4 !== 0) throw new OddLineLengths();
    let pad = 0;
    for (let i = text.length - 1; i >= 0 && pad < 3; i--) {
      const byte = text[i];
      if (byte === LF || byte === CR) continue;
      if (byte !== PAD) break;
      pad++;
    }
    const got = out.write(text.toString('latin1'), written, 'base64');
    if (pad > 2 || got !== (chars / 4) * 3 - pad)
      throw new KimMessageError('INVALID_MAIL', 'body is not base64');
    written += got;
    if (pad > 0) ended = true;
  };

  for (const chunk of chunks) {
    let pos = 0;
    if (carry !== null) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      decodeLines(Buffer.concat([carry, chunk.subarray(0, nl + 1)]));
      carry = null;
      pos = nl + 1;
    }
    while (pos < chunk.length) {
      // About DECODE_SLICE bytes, cut after a line break so every slice holds whole lines.
      const limit = Math.min(pos + DECODE_SLICE, chunk.length);
      const cut = limit === chunk.length ? chunk.lastIndexOf(LF) : chunk.lastIndexOf(LF, limit - 1);
      if (cut < pos) {
        const nl = chunk.indexOf(LF, limit);
        if (nl === -1) {
          carry = Buffer.from(chunk.subarray(pos));
          break;
        }
        decodeLines(chunk.subarray(pos, nl + 1));
        pos = nl + 1;
        continue;
      }
      decodeLines(chunk.subarray(pos, cut + 1));
      pos = cut + 1;
    }
  }
  if (carry !== null) decodeLines(carry);
  return out.subarray(0, written);
}

/** Per byte: 1 = base64 alphabet, 2 = '=', 3 = whitespace between lines, 0 = not allowed. */
const CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  CLASS[c.charCodeAt(0)] = 1;
CLASS[PAD] = 2;
for (const c of '\r\n\t ') CLASS[c.charCodeAt(0)] = 3;

/** Byte by byte (slower): any line lengths, whitespace anywhere. */
function decodeAnyLayout(chunks: readonly Buffer[]): Buffer {
  let estimate = 0;
  for (const chunk of chunks) estimate += chunk.length;
  const out = Buffer.allocUnsafe(Math.ceil(estimate / 4) * 3);
  const staging = Buffer.allocUnsafe(DECODE_SLICE);
  let staged = 0;
  let written = 0;
  let padding = 0;
  const flush = (final: boolean): void => {
    // Whole quanta only; the rest moves to the front and waits for more.
    const whole = final ? staged : staged - (staged % 4);
    if (whole % 4 !== 0) throw new KimMessageError('INVALID_MAIL', 'base64 body truncated');
    written += out.write(staging.toString('latin1', 0, whole), written, 'base64');
    staging.copy(staging, 0, whole, staged);
    staged -= whole;
  };
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      const kind = CLASS[byte];
      if (kind === 1) {
        if (padding > 0) throw new KimMessageError('INVALID_MAIL', 'base64 data after padding');
      } else if (kind === 2) {
        if (++padding > 2) throw new KimMessageError('INVALID_MAIL', 'base64 padding misplaced');
      } else if (kind === 3) {
        continue;
      } else {
        throw new KimMessageError('INVALID_MAIL', 'body is not base64');
      }
      staging[staged++] = byte;
      if (staged === DECODE_SLICE) flush(false);
    }
  }
  flush(true);
  return out.subarray(0, written);
}
