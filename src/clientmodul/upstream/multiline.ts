const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EMPTY = Buffer.alloc(0);

export interface ScanResult {
  /** The part of the body in this chunk (see the mode of the scanner). */
  readonly content: Buffer;
  /** Bytes after the terminator once it was found (normally none), else null. */
  readonly rest: Buffer | null;
}

/**
 * Finds the end of a POP3 multi-line response (RFC 1939 §3: a line of a single ".") in a stream of
 * chunks, across chunk borders, starting right after the status line.
 *
 * - `relay` mode passes the bytes on exactly as received, dot-stuffing and terminator included,
 *   so a listing or TOP answer is relayed without being decoded.
 * - `unstuff` mode returns the message itself: the extra "." of stuffed lines and the terminator
 *   line are removed (the CRLF before the terminator belongs to the last line of the message).
 *
 * A bare LF ends a line as well, as in the Fachdienst's own reader and stuffer.
 */
export class MultilineScanner {
  readonly #mode: 'relay' | 'unstuff';
  #atLineStart = true;
  /** Up to two bytes (".", ".\r") at a line start whose meaning depends on the next chunk. */
  #held: Buffer = EMPTY;
  #done = false;

  constructor(mode: 'relay' | 'unstuff') {
    this.#mode = mode;
  }

  get done(): boolean {
    return this.#done;
  }

  push(chunk: Buffer): ScanResult {
    if (this.#done) return { content: EMPTY, rest: chunk };
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = EMPTY;
    const pieces: Buffer[] = [];
    let from = 0; // start of the bytes not yet put into pieces
    let pos = 0;
    while (pos < data.length) {
      if (this.#atLineStart && data[pos] === DOT) {
        const next = data[pos + 1];
        const afterNext = data[pos + 2];
        const undecided = next === undefined || (next === CR && afterNext === undefined);
        if (undecided) {
          pieces.push(data.subarray(from, pos));
          this.#held = Buffer.from(data.subarray(pos));
          return { content: concat(pieces), rest: null };
        }
        const terminatorEnd = next === LF ? pos + 2 : next === CR && afterNext === LF ? pos + 3 : -1;
        if (terminatorEnd > 0) {
          pieces.push(data.subarray(from, this.#mode === 'relay' ? terminatorEnd : pos));
          this.#done = true;
          return { content: concat(pieces), rest: data.subarray(terminatorEnd) };
        }
        if (this.#mode === 'unstuff') {
          pieces.push(data.subarray(from, pos));
          from = pos + 1;
        }
      }
      const lf = data.indexOf(LF, pos);
      if (lf < 0) {
        this.#atLineStart = false;
        break;
      }
      pos = lf + 1;
      this.#atLineStart = true;
    }
    pieces.push(data.subarray(from));
    return { content: concat(pieces), rest: null };
  }
}

function concat(pieces: Buffer[]): Buffer {
  const nonEmpty = pieces.filter((p) => p.length > 0);
  if (nonEmpty.length === 0) return EMPTY;
  return nonEmpty.length === 1 ? (nonEmpty[0] ?? EMPTY) : Buffer.concat(nonEmpty);
}
