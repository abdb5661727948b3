import type { TLSSocket } from 'node:tls';
import type { UpstreamEndpoint } from '../username.js';
import { connectUpstream } from './connect.js';
import type { UpstreamTlsOptions } from './connect.js';
import { UpstreamError } from './errors.js';
import { MultilineScanner } from './multiline.js';
import { SocketReader, writeBounded } from './socketReader.js';

export interface Pop3ClientOptions {
  readonly endpoint: UpstreamEndpoint;
  readonly tls: UpstreamTlsOptions;
  /** Longest wait for the connection and for any answer (POP3_TIMEOUT_SERVER, default 5 min). */
  readonly timeoutMs: number;
}

/** A status line of the Fachdienst: `+OK …` or `-ERR …`, kept verbatim for relaying. */
export interface Pop3Status {
  readonly ok: boolean;
  readonly line: string;
}

/** RFC 2449 allows 512 octets for a status line; allow some slack. */
const MAX_STATUS_LINE = 1024;

/**
 * A POP3S client for the Fachdienst, used one command at a time: a status line, and for
 * multi-line answers either a streaming relay of the raw bytes or the whole, un-stuffed message.
 */
export class Pop3Client {
  readonly #socket: TLSSocket;
  readonly #reader: SocketReader;
  readonly #timeoutMs: number;
  #closed = false;

  private constructor(socket: TLSSocket, reader: SocketReader, timeoutMs: number) {
    this.#socket = socket;
    this.#reader = reader;
    this.#timeoutMs = timeoutMs;
    socket.once('close', () => {
      this.#closed = true;
    });
  }

  /** Connects and reads the greeting; throws UpstreamError (UNREACHABLE also for a `-ERR` greeting). */
  static async connect(options: Pop3ClientOptions): Promise<Pop3Client> {
    const socket = await connectUpstream(options.endpoint, options.tls, options.timeoutMs);
    const client = new Pop3Client(socket, new SocketReader(socket, options.timeoutMs), options.timeoutMs);
    try {
      const greeting = await client.status();
      if (!greeting.ok) throw new UpstreamError('UNREACHABLE', 'the Fachdienst refused the session');
      return client;
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  get isOpen(): boolean {
    return !this.#closed && !this.#socket.destroyed;
  }

  /** Called once when the connection closes, whoever closed it. */
  onClose(listener: () => void): void {
    if (this.#closed) queueMicrotask(listener);
    else this.#socket.once('close', listener);
  }

  /** USER and PASS (RFC 1939 §7); the answer to the first refused step, or the PASS answer. */
  async login(user: string, password: string): Promise<Pop3Status> {
    const userStatus = await this.command(`USER ${user}`);
    if (!userStatus.ok) return userStatus;
    return this.command(`PASS ${password}`);
  }

  /** Sends one command line and reads the status line of its answer. */
  async command(line: string): Promise<Pop3Status> {
    // The line comes from the mail program; a line end inside would be a second command.
    if (/[\r\n]/.test(line)) throw new UpstreamError('PROTOCOL', 'line end inside a POP3 command');
    await this.#guard(writeBounded(this.#socket, `${line}\r\n`, this.#timeoutMs));
    return this.status();
  }

  /**
   * Relays the rest of a multi-line answer exactly as received (stuffed, with its terminator)
   * to `sink`, which may wait (backpressure): nothing more is read meanwhile.
   */
  async relayMultiline(sink: (chunk: Buffer) => Promise<void>): Promise<void> {
    const scanner = new MultilineScanner('relay');
    await this.#guard(this.#scan(scanner, sink));
  }

  /**
   * Reads the rest of a multi-line answer as the message it carries (un-stuffed, without the
   * terminator). Over `maxOctets`, it reads the answer to its end (so the session stays usable)
   * and throws TOO_LARGE.
   */
  async readMessage(maxOctets: number): Promise<Buffer[]> {
    const scanner = new MultilineScanner('unstuff');
    const chunks: Buffer[] = [];
    let octets = 0;
    await this.#guard(
      this.#scan(scanner, (chunk) => {
        octets += chunk.length;
        if (octets <= maxOctets) chunks.push(chunk);
        else chunks.length = 0;
        return Promise.resolve();
      }),
    );
    if (octets > maxOctets) {
      throw new UpstreamError('TOO_LARGE', `message of ${octets} octets exceeds the limit of ${maxOctets}`);
    }
    return chunks;
  }

  /** Ends the connection without QUIT: the Fachdienst then deletes nothing (RFC 1939 §6). */
  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  async status(): Promise<Pop3Status> {
    const line = await this.#guard(this.#reader.line(MAX_STATUS_LINE));
    if (line.startsWith('+OK')) return { ok: true, line };
    if (line.startsWith('-ERR')) return { ok: false, line };
    this.destroy();
    throw new UpstreamError('PROTOCOL', 'the Fachdienst sent something that is not a POP3 status line');
  }

  async #scan(scanner: MultilineScanner, sink: (chunk: Buffer) => Promise<void>): Promise<void> {
    while (!scanner.done) {
      const data = await this.#reader.chunk();
      if (data === null) throw this.#reader.closedError();
      const { content, rest } = scanner.push(data);
      if (rest !== null) this.#reader.unshift(rest);
      if (content.length > 0) await sink(content);
    }
  }

  /** A failed read or write leaves the dialogue in an unknown state: the connection is dropped. */
  async #guard<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      // A sink failure (the mail program went away) is not the Fachdienst's fault, but the
      // answer was not read to its end either: the connection cannot be used any more.
      this.destroy();
      throw error;
    }
  }
}
