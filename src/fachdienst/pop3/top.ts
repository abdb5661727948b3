const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental cut of a message for TOP (RFC 1939): the header, the blank line that ends it,
 * then at most `bodyLines` lines of the body. A message without a blank line is all header and
 * passes unchanged. Once {@link done} is true the rest of the message need not be read.
 */
export class TopLimiter {
  #phase: 'header' | 'body' | 'done' = 'header';
  #lineHasContent = false;
  #remaining: number;

  constructor(bodyLines: number) {
    this.#remaining = bodyLines;
  }

  get done(): boolean {
    return this.#phase === 'done';
  }

  /** The part of `chunk` that belongs to the TOP response. */
  push(chunk: Buffer): Buffer {
    if (this.#phase === 'done') return EMPTY;
    let from = 0;
    if (this.#phase === 'header') {
      // Headers are short: a byte loop is fine here.
      for (; from < chunk.length; from++) {
        const byte = chunk[from];
        if (byte === LF) {
          if (!this.#lineHasContent) {
            from++;
            this.#phase = 'body';
            break;
          }
          this.#lineHasContent = false;
        } else if (byte !== CR) {
          this.#lineHasContent = true;
        }
      }
      if (this.#phase === 'header') return chunk;
      if (this.#remaining === 0) {
        this.#phase = 'done';
        return chunk.subarray(0, from);
      }
    }
    let lf = chunk.indexOf(LF, from);
    while (lf !== -1) {
      this.#remaining--;
      if (this.#remaining === 0) {
        this.#phase = 'done';
        return chunk.subarray(0, lf + 1);
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
    return chunk;
  }
}
