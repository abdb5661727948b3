/**
 * Base64 in CRLF-terminated lines of 76 characters (RFC 2045 §6.8), encoded as the bytes
 * arrive: every 1024 lines (57 KiB in, 78 KiB out) leave as one buffer, the rest waits for
 * more bytes or for `end()`. The output is the same however the input is cut.
 */
const LINE_BYTES = 57;
const LINE_CHARS = 76;
const LINES_PER_BLOCK = 1024;
const BLOCK_BYTES = LINE_BYTES * LINES_PER_BLOCK;
const CR = 0x0d;
const LF = 0x0a;

export class Base64LineEncoder {
  /** Input bytes not yet encoded: fewer than a block. */
  readonly #block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
  #filled = 0;

  /** Takes `bytes`; returns the lines complete so far (new buffers, the caller keeps them). */
  push(bytes: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#filled === 0 && bytes.length - offset >= BLOCK_BYTES) {
        // A whole block in the input: encoded from there, without staging it.
        out.push(this.#encode(bytes.subarray(offset, offset + BLOCK_BYTES)));
        offset += BLOCK_BYTES;
        continue;
      }
      const take = Math.min(BLOCK_BYTES - this.#filled, bytes.length - offset);
      this.#block.set(bytes.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === BLOCK_BYTES) {
        out.push(this.#encode(this.#block));
        this.#filled = 0;
      }
    }
    return out;
  }

  /** The last lines (the final one shorter, padded); the encoder can then start over. */
  end(): Buffer[] {
    if (this.#filled === 0) return [];
    const last = this.#encode(this.#block.subarray(0, this.#filled));
    this.#filled = 0;
    return [last];
  }

  /**
   * The text is written behind the space the line ends need, then each line moves forward into
   * place (never over a line not yet moved). copyWithin is a builtin that needs no JIT warm-up:
   * in a fresh process 25 MB took 35-60 ms this way, 100-160 ms with copy() per line.
   */
  #encode(bytes: Uint8Array): Buffer {
    const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const chars = 4 * Math.ceil(bytes.length / 3);
    const shift = 2 * Math.ceil(chars / LINE_CHARS);
    const out = Buffer.allocUnsafeSlow(chars + shift);
    out.write(source.toString('base64'), shift, 'latin1');
    let o = 0;
    for (let i = 0; i < chars; i += LINE_CHARS) {
      const end = Math.min(i + LINE_CHARS, chars);
      out.copyWithin(o, shift + i, shift + end);
      o += end - i;
      out[o++] = CR;
      out[o++] = LF;
    }
    return out;
  }
}
