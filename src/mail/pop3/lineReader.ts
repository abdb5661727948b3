const LF = 0x0a;
const CR = 0x0d;

/** One line received from the client, without its line end. */
export interface InputLine {
  readonly text: string;
  /** Octets of the line without CRLF (or bare LF), counted even past the kept part. */
  readonly octets: number;
  /** True when the line was longer than the reader keeps; `text` then holds only a prefix. */
  readonly truncated: boolean;
}

/**
 * Splits the client's byte stream into lines at LF (a CR right before it is dropped, so both
 * CRLF and a bare LF end a line). Keeps at most `maxOctets` of any one line: an endless line
 * costs constant memory and is reported as truncated once its LF finally arrives.
 */
export class LineReader {
  readonly #maxOctets: number;
  #parts: Buffer[] = [];
  #kept = 0;
  #octets = 0;
  #lastByte = 0;

  constructor(maxOctets: number) {
    this.#maxOctets = maxOctets;
  }

  /** The complete lines in `chunk` (together with what was left over from earlier chunks). */
  push(chunk: Buffer): InputLine[] {
    const lines: InputLine[] = [];
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const end = lf === -1 ? chunk.length : lf;
      this.#keep(chunk.subarray(from, end));
      if (lf === -1) break;
      lines.push(this.#finishLine());
      from = lf + 1;
    }
    return lines;
  }

  #keep(segment: Buffer): void {
    this.#octets += segment.length;
    if (segment.length > 0) this.#lastByte = segment[segment.length - 1] ?? 0;
    const room = this.#maxOctets + 1 - this.#kept; // one more octet for a CR before the LF
    if (room <= 0 || segment.length === 0) return;
    const part = segment.length > room ? segment.subarray(0, room) : segment;
    this.#parts.push(Buffer.from(part));
    this.#kept += part.length;
  }

  #finishLine(): InputLine {
    let bytes = this.#parts.length === 1 ? (this.#parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#parts);
    let octets = this.#octets;
    if (octets > 0 && this.#lastByte === CR) {
      if (bytes.length === octets) bytes = bytes.subarray(0, bytes.length - 1);
      octets -= 1;
    }
    const truncated = octets > this.#maxOctets;
    if (truncated) bytes = bytes.subarray(0, this.#maxOctets);
    this.#parts = [];
    this.#kept = 0;
    this.#octets = 0;
    this.#lastByte = 0;
    return { text: bytes.toString('utf8'), octets, truncated };
  }
}
