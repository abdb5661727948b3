import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';

const CRLF = Buffer.from('\r\n');
const END_AFTER_CRLF = Buffer.from('\r\n.\r\n');
const END_ALONE = Buffer.from('.\r\n');

/**
 * A raw POP3 client over TLS: sees exactly what the server (or the Clientmodul's proxy) sends,
 * status lines and still dot-stuffed bodies, can pipeline, and can drop the connection at any
 * moment (which poplib cannot do cleanly).
 */
export class Pop3Raw {
  readonly closed: Promise<void>;
  /** Received, not yet consumed bytes: #data[0, #length). Grows by doubling (large RETRs). */
  #data = Buffer.alloc(64 * 1024);
  #length = 0;
  /** How far #take's search got already (a terminator is never looked for twice). */
  #scanned = 0;
  #ended = false;
  #wake: (() => void) | null = null;
  /** The greeting line (checked to be +OK by `open`). */
  greeting = '';

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.#length + chunk.length > this.#data.length) {
        const grown = Buffer.alloc(Math.max(this.#data.length * 2, this.#length + chunk.length));
        this.#data.copy(grown, 0, 0, this.#length);
        this.#data = grown;
      }
      chunk.copy(this.#data, this.#length);
      this.#length += chunk.length;
      this.#wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  /** Connects and reads the greeting. */
  static async open(port: number, ca: string | Buffer): Promise<Pop3Raw> {
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const client = new Pop3Raw(socket);
    client.greeting = await client.line();
    if (!client.greeting.startsWith('+OK')) throw new Error(`greeting: ${client.greeting}`);
    return client;
  }

  /** Opens and logs in with USER/PASS, trying again while a dropped session still holds the maildrop. */
  static async loggedIn(
    port: number,
    ca: string | Buffer,
    user: string,
    password: string,
    timeoutMs = 5_000,
  ): Promise<Pop3Raw> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const client = await Pop3Raw.open(port, ca);
      const reply = await client.login(user, password);
      if (reply.startsWith('+OK')) return client;
      await client.drop();
      if (!reply.startsWith('-ERR [IN-USE]') || Date.now() > until)
        throw new Error(`login of ${user}: ${reply}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** USER/PASS; returns the PASS reply (the USER reply must be +OK). */
  async login(user: string, password: string): Promise<string> {
    const userReply = await this.command(`USER ${user}`);
    if (!userReply.startsWith('+OK')) throw new Error(`USER: ${userReply}`);
    return this.command(`PASS ${password}`);
  }

  /** Sends one command line without waiting for its answer (pipelining). */
  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async command(line: string): Promise<string> {
    this.send(line);
    return this.line();
  }

  /** A multi-line response: the status line and the (still dot-stuffed) body lines. */
  async multi(line: string, timeoutMs = 20_000): Promise<{ status: string; lines: string[] }> {
    const { status, body } = await this.multiBody(line, timeoutMs);
    const text = body.toString('latin1');
    return { status, lines: text === '' || text === '.\r\n' ? [] : text.slice(0, -5).split('\r\n') };
  }

  /** A multi-line response: the status line and, after +OK, the body as sent (up to ".\r\n"). */
  async multiBody(line: string, timeoutMs = 20_000): Promise<{ status: string; body: Buffer }> {
    const status = await this.command(line);
    return { status, body: status.startsWith('+OK') ? await this.body(timeoutMs) : Buffer.alloc(0) };
  }

  /** The body of a multi-line answer up to and including the terminating ".\r\n", as sent. */
  body(timeoutMs = 60_000): Promise<Buffer> {
    return this.#take((b, from) => {
      if (b.length >= 3 && b.subarray(0, 3).equals(END_ALONE)) return 3;
      const at = b.indexOf(END_AFTER_CRLF, Math.max(0, from - 4));
      return at === -1 ? null : at + 5;
    }, timeoutMs);
  }

  /** Everything received and not yet read (for "nothing more was sent" checks). */
  get unread(): string {
    return this.#data.subarray(0, this.#length).toString('latin1');
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Waits until the server closes the connection; returns what it sent that was not read yet. */
  async rest(timeoutMs = 5_000): Promise<string> {
    await this.waitClosed(timeoutMs);
    return this.unread;
  }

  close(): void {
    this.socket.destroy();
  }

  /** UIDL as number → unique id. */
  async uidl(): Promise<Map<number, string>> {
    const { status, lines } = await this.multi('UIDL');
    if (!status.startsWith('+OK')) throw new Error(`UIDL: ${status}`);
    return new Map(
      lines.map((l) => {
        const [n, id] = l.split(' ');
        return [Number(n), id ?? ''];
      }),
    );
  }

  async stat(): Promise<{ count: number; octets: number }> {
    const reply = await this.command('STAT');
    const m = /^\+OK (\d+) (\d+)/.exec(reply);
    if (m === null) throw new Error(`STAT: ${reply}`);
    return { count: Number(m[1]), octets: Number(m[2]) };
  }

  async line(timeoutMs = 10_000): Promise<string> {
    const bytes = await this.#take((b, from) => {
      const at = b.indexOf(CRLF, Math.max(0, from - 1));
      return at === -1 ? null : at + 2;
    }, timeoutMs);
    return bytes.subarray(0, bytes.length - 2).toString('latin1');
  }

  /** Waits until at least `n` unread bytes are there (without consuming them). */
  async buffered(n: number, timeoutMs = 10_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (this.#length < n) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${n} bytes`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.#length;
  }

  async quit(): Promise<string> {
    const reply = await this.command('QUIT');
    await this.closed;
    return reply;
  }

  /** Drops the TCP connection without QUIT. */
  async drop(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  /** Consumes the first `extract(...)` bytes once extract finds them; `from` = bytes already searched. */
  async #take(extract: (buffer: Buffer, from: number) => number | null, timeoutMs: number): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    this.#scanned = 0;
    for (;;) {
      const view = this.#data.subarray(0, this.#length);
      const length = extract(view, this.#scanned);
      if (length !== null) {
        const value = Buffer.from(view.subarray(0, length));
        this.#data.copy(this.#data, 0, length, this.#length);
        this.#length -= length;
        this.#scanned = 0;
        return value;
      }
      this.#scanned = view.length;
      const unread = () => view.subarray(0, 200).toString('latin1');
      if (this.#ended) throw new Error(`connection closed; unread: ${unread()}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timed out; unread: ${unread()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
