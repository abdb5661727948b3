import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/**
 * Turns a bare LF (one not preceded by CR) into CRLF, as Postfix's `smtpd_forbid_bare_newline =
 * normalize` does. Bare line ends are how SMTP smuggling hides a second message from one server
 * and shows it to the next; a well-formed message (and every KIM message, which is base64 and
 * CRLF throughout) contains none, so its bytes pass unchanged.
 */
export class BareLfNormalizer extends Transform {
  private lastWasCr = false;
  /** Number of bare LFs replaced (for logs and tests). */
  replaced = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let lf = chunk.indexOf(0x0a);
    if (lf < 0) {
      if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
      callback(null, chunk);
      return;
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
    if (start === 0) {
      callback(null, chunk);
      return;
    }
    parts.push(chunk.subarray(start));
    callback(null, Buffer.concat(parts));
  }
}

const CRLF = Buffer.from('\r\n');
