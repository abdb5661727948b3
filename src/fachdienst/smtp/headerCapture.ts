/**
 * Watches a message go by chunk by chunk and keeps a copy of its header block (everything up to
 * the first empty line), so the server can check the originator fields without parsing or
 * buffering the body. A header block larger than `maxHeaderBytes` is cut there and flagged.
 */
export class HeaderCapture {
  private readonly chunks: Buffer[] = [];
  private captured = 0;
  private done = false;
  private tail = Buffer.alloc(0);
  private exceeded = false;

  constructor(private readonly maxHeaderBytes = 256 * 1024) {}

  /** The header block, including its final line end but not the empty line. */
  get header(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get headerTooLarge(): boolean {
    return this.exceeded;
  }

  /** The next chunk of the message (not kept unless it belongs to the header block). */
  observe(chunk: Buffer): void {
    if (!this.done) this.scan(chunk);
  }

  private scan(chunk: Buffer): void {
    // Look for CRLF CRLF (or LF LF) across chunk borders: keep the last 3 bytes of the previous one.
    const window = Buffer.concat([this.tail, chunk]);
    const offset = this.tail.length;
    const end = findHeaderEnd(window);
    if (end >= 0) {
      this.keep(chunk.subarray(0, Math.max(0, end - offset)));
      this.done = true;
      return;
    }
    this.keep(chunk);
    this.tail = window.subarray(Math.max(0, window.length - 3));
  }

  private keep(part: Buffer): void {
    const room = this.maxHeaderBytes - this.captured;
    if (part.length > room) {
      this.chunks.push(Buffer.from(part.subarray(0, room)));
      this.captured = this.maxHeaderBytes;
      this.exceeded = true;
      this.done = true;
      return;
    }
    this.chunks.push(Buffer.from(part));
    this.captured += part.length;
  }
}

/** Index just after the line end that precedes the empty line, or -1. */
function findHeaderEnd(buf: Buffer): number {
  const crlf = buf.indexOf('\r\n\r\n');
  const lflf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lflf < 0 || crlf + 1 <= lflf)) return crlf + 2;
  if (lflf >= 0) return lflf + 1;
  // A message that starts with an empty line has no header block at all.
  if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) return 0;
  if (buf.length >= 1 && buf[0] === 0x0a) return 0;
  return -1;
}
