import { connect, createSecureContext } from 'node:tls';
import type { SecureContext, TLSSocket } from 'node:tls';

/**
 * The client side's TLS context, built once per run like any real client (and the baseline's
 * Python client with its one SSLContext) does: handing `ca` to every `connect` parses the CA and
 * builds a new OpenSSL context per connection, about 1 ms of client CPU each here.
 */
export function clientTlsContext(ca: string | Buffer): SecureContext {
  return createSecureContext({ ca, minVersion: 'TLSv1.2' });
}

/**
 * A minimal line-oriented client over implicit TLS, for load generation: it reads replies in
 * bulk and writes each command (or a whole message) with one write, so the client spends as
 * little CPU as possible and never adds Nagle delays.
 */
export class WireClient {
  private buffer: Buffer = Buffer.alloc(0);
  /** While reading a long POP3 body: chunks seen so far, so nothing is copied or rescanned. */
  private bodyChunks: Buffer[] | null = null;
  private waiting: (() => void) | null = null;
  private ended: Error | null = null;

  private constructor(readonly socket: TLSSocket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.bodyChunks !== null) this.bodyChunks.push(chunk);
      else this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    const fail = (error: Error) => {
      this.ended = error;
      this.waiting?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number, secureContext: SecureContext): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, secureContext, servername: 'localhost' }, () =>
        resolve(new WireClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Bytes up to and including the next CRLF. */
  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      await this.more();
    }
  }

  /** An SMTP reply (multi-line replies joined); throws unless it starts with `expect`. */
  async smtpReply(expect: string): Promise<string> {
    let line = await this.line();
    let all = line;
    while (line[3] === '-') {
      line = await this.line();
      all += `\n${line}`;
    }
    if (!line.startsWith(expect)) throw new Error(`expected ${expect}, got: ${all}`);
    return all;
  }

  /** A POP3 multi-line body up to the terminating ".\r\n", returned still dot-stuffed. */
  async pop3Body(): Promise<Buffer> {
    const terminator = Buffer.from('\r\n.\r\n');
    const end = this.buffer.indexOf(terminator);
    if (end >= 0) {
      const body = this.buffer.subarray(0, end + 2);
      this.buffer = this.buffer.subarray(end + 5);
      return body;
    }
    // Collect chunks; search only each new chunk plus the 4 bytes before it.
    this.bodyChunks = [this.buffer];
    this.buffer = Buffer.alloc(0);
    let scanned = 0;
    let total = this.bodyChunks[0]?.length ?? 0;
    try {
      for (;;) {
        const chunks = this.bodyChunks;
        while (scanned < chunks.length - 1) {
          scanned += 1;
          const chunk = chunks[scanned] ?? Buffer.alloc(0);
          const tail = Buffer.concat([lastBytes(chunks, scanned, 4), chunk]);
          const at = tail.indexOf(terminator);
          if (at >= 0) {
            const all = Buffer.concat(chunks.slice(0, scanned + 1));
            const absolute = total - (tail.length - chunk.length) + at;
            this.buffer = all.subarray(absolute + 5);
            return all.subarray(0, absolute + 2);
          }
          total += chunk.length;
        }
        await this.more();
      }
    } finally {
      this.bodyChunks = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private more(): Promise<void> {
    if (this.ended !== null) return Promise.reject(this.ended);
    return new Promise((resolve) => {
      this.waiting = () => {
        this.waiting = null;
        resolve();
      };
    });
  }
}

function lastBytes(chunks: readonly Buffer[], before: number, n: number): Buffer {
  const parts: Buffer[] = [];
  let need = n;
  for (let i = before - 1; i >= 0 && need > 0; i--) {
    const c = chunks[i] ?? Buffer.alloc(0);
    const take = c.subarray(Math.max(0, c.length - need));
    parts.unshift(take);
    need -= take.length;
  }
  return Buffer.concat(parts);
}

/** RFC 5321 dot-stuffing of a CRLF message plus the terminating line. */
export function dotStuffed(message: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  if (message[0] === 0x2e) parts.push(Buffer.from('.'));
  for (let i = message.indexOf('\r\n.'); i >= 0; i = message.indexOf('\r\n.', i + 3)) {
    parts.push(message.subarray(start, i + 2), Buffer.from('.'));
    start = i + 2;
  }
  parts.push(message.subarray(start));
  if (!message.subarray(-2).equals(Buffer.from('\r\n'))) parts.push(Buffer.from('\r\n'));
  parts.push(Buffer.from('.\r\n'));
  return Buffer.concat(parts);
}
