import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EXTRA_DOT = Buffer.from('.');
const LF_DOT = Buffer.from('\n.');
/** The end of a multi-line response when the content already ends with CRLF. */
const TERMINATOR = Buffer.from('.\r\n');
/** The end of a multi-line response when the content does not end with CRLF. */
const CRLF_TERMINATOR = Buffer.from('\r\n.\r\n');

/**
 * Incremental byte-stuffing of a multi-line response body (RFC 1939 section 3): every line
 * that starts with "." gets one more ".", and the response is terminated by ".\r\n" on a line
 * of its own (a CRLF is added first when the content does not already end with one).
 *
 * Works chunk by chunk with constant memory: chunks without a stuffed line are returned as
 * they are (no copy). A bare LF also counts as a line end, so a lenient client that splits on
 * LF can never see a premature terminator.
 *
 * The stuffer starts at the beginning of a line right after the CRLF of the status line.
 */
export class DotStuffer {
  #atLineStart = true;
  #lastByte: number = LF;
  #endsWithCrlf = true;

  /** Stuffs one chunk of content. */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    let pieces: Buffer[] | null = null;
    let from = 0;
    if (this.#atLineStart && chunk[0] === DOT) pieces = [EXTRA_DOT];
    // Search for LF followed by "." (not every LF: a line per ~78 bytes would mean a JS
    // iteration per line); a line start at the chunk's beginning was handled above.
    for (let at = chunk.indexOf(LF_DOT); at !== -1; at = chunk.indexOf(LF_DOT, at + 1)) {
      const next = at + 1;
      pieces ??= [];
      pieces.push(chunk.subarray(from, next), EXTRA_DOT);
      from = next;
    }
    const last = chunk[chunk.length - 1] ?? 0;
    const beforeLast = chunk.length >= 2 ? (chunk[chunk.length - 2] ?? 0) : this.#lastByte;
    this.#atLineStart = last === LF;
    this.#endsWithCrlf = last === LF && beforeLast === CR;
    this.#lastByte = last;
    if (pieces === null) return chunk;
    pieces.push(chunk.subarray(from));
    return Buffer.concat(pieces);
  }

  /** The bytes that close the response: an optional CRLF and the ".\r\n" terminator. */
  end(): Buffer {
    return this.#endsWithCrlf ? TERMINATOR : CRLF_TERMINATOR;
  }
}

/** The streaming form of {@link DotStuffer}: content in, a complete multi-line body out. */
export class DotStuffTransform extends Transform {
  readonly #stuffer = new DotStuffer();

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
    const out = this.#stuffer.push(bytes);
    if (out.length > 0) this.push(out);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.#stuffer.end());
  }
}
