/**
 * Decodes a base64 body as it arrives, into a buffer given up front (so a 35 MB body never has
 * to be in memory as text): CRLF or LF line breaks anywhere, also across chunks. Throws
 * KimMessageError INVALID_MAIL for characters outside the alphabet, data after padding or a
 * length that is not a whole number of quanta.
 *
 * Node decodes whole lines natively (it skips the line breaks); validity is then checked by
 * arithmetic: every 4 characters must have given 3 bytes, which fails for any character Node
 * skipped or stopped at (a regular expression over 35 MB of text took half a second). Lines
 * that are not whole quanta (legal, but no common encoder writes them) switch the rest of the
 * body to a byte-by-byte decoder.
 */
import { KimMessageError } from './errors.js';

/**
 * Text decoded per call. Each slice becomes a short-lived string: 64 KiB strings die young,
 * while with 1 MiB slices decoding a 35 MB body held some 32 MB more at its peak (measured).
 */
const SLICE = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const PAD = 0x3d;

/** The most bytes `encodedLength` characters of base64 can hold. */
export function maxDecodedLength(encodedLength: number): number {
  return Math.ceil(encodedLength / 4) * 3;
}

/** Per byte: 1 = base64 alphabet, 2 = '=', 3 = whitespace between lines, 0 = not allowed. */
const CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  CLASS[c.charCodeAt(0)] = 1;
CLASS[PAD] = 2;
for (const c of '\r\n\t ') CLASS[c.charCodeAt(0)] = 3;

function notBase64(reason: string): KimMessageError {
  return new KimMessageError('INVALID_MAIL', reason);
}

export class Base64Decoder {
  readonly #out: Buffer;
  #written = 0;
  /** '=' characters seen: nothing but more '=' (at most two in all) may follow. */
  #padding = 0;
  /** Whole-lines mode: the start of a line that continues in the next chunk. */
  #carry: Buffer | null = null;
  /** Byte-by-byte mode, once a line was not a whole number of quanta: characters of an unfinished block. */
  #staging: Buffer | null = null;
  #staged = 0;

  /** `out` must hold maxDecodedLength() of everything that will be written. */
  constructor(out: Buffer) {
    this.#out = out;
  }

  write(chunk: Buffer): void {
    if (this.#staging !== null) {
      this.#byteWise(chunk);
      return;
    }
    let pos = 0;
    if (this.#carry !== null) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.#carry = Buffer.concat([this.#carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.#carry, chunk.subarray(0, nl + 1)]);
      this.#carry = null;
      pos = nl + 1;
      if (!this.#lines(line)) {
        this.#byteWise(chunk.subarray(pos));
        return;
      }
    }
    while (pos < chunk.length) {
      // About SLICE bytes, cut after a line break so every slice holds whole lines.
      const limit = Math.min(pos + SLICE, chunk.length);
      let cut = limit === chunk.length ? chunk.lastIndexOf(LF) : chunk.lastIndexOf(LF, limit - 1);
      if (cut < pos) cut = chunk.indexOf(LF, limit);
      if (cut === -1) {
        // Copied: the caller may reuse its chunk buffer.
        this.#carry = Buffer.from(chunk.subarray(pos));
        return;
      }
      const slice = chunk.subarray(pos, cut + 1);
      pos = cut + 1;
      if (!this.#lines(slice)) {
        this.#byteWise(chunk.subarray(pos));
        return;
      }
    }
  }

  /** The decoded bytes (a view of `out`). */
  end(): Buffer {
    if (this.#carry !== null) {
      const rest = this.#carry;
      this.#carry = null;
      if (!this.#lines(rest)) this.#flush(true);
    } else if (this.#staging !== null) {
      this.#flush(true);
    }
    return this.#out.subarray(0, this.#written);
  }

  /**
   * Decodes `text`, which holds whole lines. False (nothing decoded) when they are not a whole
   * number of quanta: the caller then goes byte by byte, starting with `text`.
   */
  #lines(text: Buffer): boolean {
    let breaks = 0;
    for (let at = text.indexOf(LF); at !== -1; at = text.indexOf(LF, at + 1)) {
      breaks += at > 0 && text[at - 1] === CR ? 2 : 1;
    }
    const chars = text.length - breaks;
    if (chars === 0) return true;
    if (chars % 4 !== 0) {
      this.#staging = Buffer.allocUnsafe(SLICE);
      this.#byteWise(text);
      return false;
    }
    if (this.#padding > 0) throw notBase64('base64 data after padding');
    let pad = 0;
    for (let i = text.length - 1; i >= 0 && pad < 3; i--) {
      const byte = text[i];
      if (byte === LF || byte === CR) continue;
      if (byte !== PAD) break;
      pad++;
    }
    const expected = (chars / 4) * 3 - pad;
    if (this.#written + expected > this.#out.length) throw new Error('internal: base64 output too small');
    const got = this.#out.write(text.toString('latin1'), this.#written, 'base64');
    if (pad > 2 || got !== expected) throw notBase64('body is not base64');
    this.#written += got;
    this.#padding = pad;
    return true;
  }

  /** Byte by byte (slower): any line lengths, whitespace anywhere. */
  #byteWise(chunk: Buffer): void {
    const staging = this.#staging as Buffer;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      const kind = CLASS[byte];
      if (kind === 1) {
        if (this.#padding > 0) throw notBase64('base64 data after padding');
      } else if (kind === 2) {
        if (++this.#padding > 2) throw notBase64('base64 padding misplaced');
      } else if (kind === 3) {
        continue;
      } else {
        throw notBase64('body is not base64');
      }
      staging[this.#staged++] = byte;
      if (this.#staged === staging.length) this.#flush(false);
    }
  }

  /** Decodes the staged whole quanta (all of them when `final`); the rest moves to the front. */
  #flush(final: boolean): void {
    const staging = this.#staging as Buffer;
    const whole = final ? this.#staged : this.#staged - (this.#staged % 4);
    if (whole % 4 !== 0) throw notBase64('base64 body truncated');
    if (this.#written + maxDecodedLength(whole) > this.#out.length)
      throw new Error('internal: base64 output too small');
    this.#written += this.#out.write(staging.toString('latin1', 0, whole), this.#written, 'base64');
    staging.copy(staging, 0, whole, this.#staged);
    this.#staged -= whole;
  }
}
