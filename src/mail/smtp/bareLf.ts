import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/**
 * Turns a bare LF (one not preceded by CR) into CRLF, as Postfix's `smtpd_forbid_bare_newline =
 * normalize` does. Bare line ends are how SMTP smuggling hides a second message from one server
 * and shows it to the next; a well-formed message (and every KIM message, which is base64 and
 * CRLF throughout) contains none, so its bytes pass unchanged.
 */
export class BareLfFilter {
  private lastWasCr = false;
  /** Number of bare LFs replaced (for logs and tests). */
  replaced = 0;

  /** The next chunk of the stream, normalised (the same buffer when it had no bare LF). */
  apply(chunk: Buffer): Buffer {
    let lf = chunk.indexOf(0x0a);
    if (lf < 0) {
      if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
      return chunk;
    }
    const parts: Buffer[] = [];
    let start = 0;
    while (lf >= 0) {
      const precededByCr = lf > 0 ? chunk[lf - 1] === 0x0d : this.lastWasCr;
      if (!precededByCr) {
        parts.push(chunk.subarray(start, lf), CRLF);
        start = lf + 1;
        this.replaced += 1;
      }
      lf = chunk.indexOf(0x0a, lf + 1);
    }
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
    if (start === 0) return chunk;
    parts.push(chunk.subarray(start));
    return Buffer.concat(parts);
  }
}

/** The same as a stream stage. */
export class BareLfNormalizer extends Transform {
  private readonly lines = new BareLfFilter();

  get replaced(): number {
    return this.lines.replaced;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.lines.apply(chunk));
  }
}

const CRLF = Buffer.from('\r\n');
