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

const WHITESPACE = /[\r\n\t ]+/g;
const DECODE_SLICE = 1024 * 1024;
const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a base64 body given as chunks (line breaks anywhere, also across chunks). Throws
 * KimMessageError INVALID_MAIL for characters outside the alphabet, padding in the middle or
 * a length that is not a whole number of quanta.
 */
export function decodeBase64(chunks: readonly Buffer[]): Buffer {
  let estimate = 0;
  for (const chunk of chunks) estimate += chunk.length;
  const out = Buffer.allocUnsafe(Math.ceil(estimate / 4) * 3);
  let written = 0;
  let carry = '';
  let ended = false;
  for (const chunk of chunks) {
    // Slices, so a 40 MB single-buffer body does not become one 40 MB string.
    for (let start = 0; start < chunk.length; start += DECODE_SLICE) {
      const slice = chunk.subarray(start, start + DECODE_SLICE);
      const text = carry + slice.toString('latin1').replace(WHITESPACE, '');
      if (text.length === 0) continue;
      if (ended || !ALPHABET.test(text)) throw new KimMessageError('INVALID_MAIL', 'body is not base64');
      ended = text.endsWith('=');
      const whole = ended ? text.length : text.length - (text.length % 4);
      if (ended && whole % 4 !== 0) throw new KimMessageError('INVALID_MAIL', 'base64 padding misplaced');
      written += out.write(text.slice(0, whole), written, 'base64');
      carry = text.slice(whole);
    }
  }
  if (carry.length > 0) throw new KimMessageError('INVALID_MAIL', 'base64 body truncated');
  return out.subarray(0, written);
}
