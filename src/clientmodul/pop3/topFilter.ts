const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** Longest header line the filter holds while deciding; longer ones pass unchanged. */
const MAX_HELD = 64 * 1024;

/**
 * Drops the `MIME-Version` header field (with its folded continuation lines) from a TOP answer,
 * as relayed bytes: a tip of the KIM specification (KOM-LE-A_2041) because Thunderbird mistakes
 * the header-only answer with MIME-Version for a complete MIME message. Only the header block is
 * touched; from the empty line on everything passes as it is.
 */
export class TopHeaderFilter {
  #inHeader = true;
  #dropping = false;
  #partial: Buffer = EMPTY;

  push(chunk: Buffer): Buffer {
    if (!this.#inHeader) return chunk;
    const data = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, chunk]);
    this.#partial = EMPTY;
    const out: Buffer[] = [];
    let from = 0;
    while (this.#inHeader) {
      const lf = data.indexOf(LF, from);
      if (lf < 0) {
        const rest = data.subarray(from);
        if (rest.length > MAX_HELD) {
          // Not a header line we care about any more: give up filtering rather than hold it all.
          this.#inHeader = false;
          out.push(rest);
        } else {
          this.#partial = Buffer.from(rest);
        }
        return Buffer.concat(out);
      }
      const line = data.subarray(from, lf + 1);
      from = lf + 1;
      if (line.length <= 2 && (line[0] === 0x0d || line[0] === LF)) {
        this.#inHeader = false;
        out.push(line);
        break;
      }
      const continuation = line[0] === 0x20 || line[0] === 0x09;
      if (!continuation) this.#dropping = /^mime-version[ \t]*:/i.test(line.toString('latin1'));
      if (!this.#dropping) out.push(line);
    }
    out.push(data.subarray(from));
    return Buffer.concat(out);
  }
}
