import type { Socket } from 'node:net';
import { UpstreamError } from './errors.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Pull-style reading from the Fachdienst connection: the caller asks for the next line or the
 * next chunk, and whatever it does not use is pushed back. The socket stays in paused mode, so
 * while nobody asks, Node stops reading and TCP holds the Fachdienst back (a slow mail program
 * never makes the proxy buffer a whole message it only relays).
 *
 * Every wait is bounded by `timeoutMs` (SMTP_TIMEOUT_SERVER / POP3_TIMEOUT_SERVER, §7.7).
 */
export class SocketReader {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #pending: Buffer[] = [];
  #wake: (() => void) | null = null;
  #error: Error | null = null;

  constructor(socket: Socket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    const wake = (): void => this.#wake?.();
    socket.on('readable', wake);
    socket.on('end', wake);
    socket.on('close', wake);
    socket.on('error', (error: Error) => {
      this.#error ??= error;
      wake();
    });
  }

  /** The next bytes, or null once the peer has closed and everything was read. */
  async chunk(): Promise<Buffer | null> {
    const pending = this.#pending.shift();
    if (pending !== undefined) return pending;
    for (;;) {
      const data = this.#socket.read() as Buffer | null;
      if (data !== null) return data;
      if (this.#socket.readableEnded || this.#socket.destroyed) return null;
      await this.#wait();
    }
  }

  /** Gives bytes back; the next {@link chunk} returns them first. */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.#pending.unshift(bytes);
  }

  /**
   * One line without its line end (CRLF or a bare LF). Throws CLOSED when the connection ends
   * first, PROTOCOL for a line longer than `maxOctets`.
   */
  async line(maxOctets: number): Promise<string> {
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      const data = await this.chunk();
      if (data === null) throw this.closedError();
      const lf = data.indexOf(LF);
      if (lf < 0) {
        parts.push(data);
        length += data.length;
        if (length > maxOctets) throw new UpstreamError('PROTOCOL', `line longer than ${maxOctets} octets`);
        continue;
      }
      parts.push(data.subarray(0, lf));
      this.unshift(data.subarray(lf + 1));
      let line = parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts);
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.length > maxOctets)
        throw new UpstreamError('PROTOCOL', `line longer than ${maxOctets} octets`);
      return line.toString('utf8');
    }
  }

  closedError(): UpstreamError {
    return new UpstreamError(
      'CLOSED',
      this.#error === null
        ? 'the Fachdienst closed the connection'
        : `connection failed: ${this.#error.message}`,
      this.#error === null ? undefined : { cause: this.#error },
    );
  }

  #wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        reject(new UpstreamError('TIMEOUT', `no answer from the Fachdienst within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }
}

/**
 * Writes to the Fachdienst connection and waits for 'drain' when the socket buffer is full, so a
 * large message is streamed, never queued whole in memory. Bounded by `timeoutMs`.
 */
export function writeBounded(socket: Socket, data: string | Buffer, timeoutMs: number): Promise<void> {
  if (socket.destroyed || socket.writableEnded) {
    return Promise.reject(new UpstreamError('CLOSED', 'the connection to the Fachdienst is closed'));
  }
  if (socket.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new UpstreamError('TIMEOUT', `the Fachdienst did not read for ${timeoutMs} ms`));
    }, timeoutMs);
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new UpstreamError('CLOSED', 'the Fachdienst closed the connection'));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
    };
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}
