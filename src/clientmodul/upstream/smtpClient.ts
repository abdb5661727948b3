import { isIPv6 } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DotStuffer } from '../../mail/pop3/dotStuff.js';
import type { MessageBytes } from '../ports.js';
import type { UpstreamEndpoint } from '../username.js';
import { connectUpstream } from './connect.js';
import type { UpstreamTlsOptions } from './connect.js';
import { UpstreamError } from './errors.js';
import { readSmtpReply } from './smtpReply.js';
import type { SmtpReply } from './smtpReply.js';
import { SocketReader, writeBounded } from './socketReader.js';

export interface SmtpClientOptions {
  readonly endpoint: UpstreamEndpoint;
  readonly tls: UpstreamTlsOptions;
  /** Longest wait for the connection and for any one reply (SMTP_TIMEOUT_SERVER, default 5 min). */
  readonly timeoutMs: number;
  /** The name given in EHLO; when it is no valid domain name, the local address literal is used. */
  readonly clientName: string;
}

/** What the Fachdienst announced in its EHLO reply. */
export interface SmtpCapabilities {
  /** SIZE (RFC 1870) limit in octets, 0 when announced without a limit; null when not announced. */
  readonly size: number | null;
  readonly authMechanisms: readonly string[];
  readonly dsn: boolean;
  readonly eightBitMime: boolean;
}

/**
 * A small SMTP submission client for the Fachdienst: implicit TLS, EHLO, AUTH PLAIN or LOGIN,
 * MAIL/RCPT/DATA. A message is written chunk by chunk, dot-stuffed, with backpressure; if
 * anything fails before the final `.` has been written, the connection is destroyed so the
 * Fachdienst discards the partial message (never a half-sent message). Commands are sent one at a
 * time; a caller must not overlap them.
 */
export class SmtpClient {
  readonly capabilities: SmtpCapabilities;
  readonly #socket: TLSSocket;
  readonly #reader: SocketReader;
  readonly #timeoutMs: number;
  #closed = false;

  private constructor(
    socket: TLSSocket,
    reader: SocketReader,
    timeoutMs: number,
    capabilities: SmtpCapabilities,
  ) {
    this.#socket = socket;
    this.#reader = reader;
    this.#timeoutMs = timeoutMs;
    this.capabilities = capabilities;
    socket.once('close', () => {
      this.#closed = true;
    });
  }

  /** Connects, reads the greeting and says EHLO. Throws UpstreamError, also for a refusing greeting. */
  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    const socket = await connectUpstream(options.endpoint, options.tls, options.timeoutMs);
    const reader = new SocketReader(socket, options.timeoutMs);
    try {
      const greeting = await readSmtpReply(reader);
      if (greeting.code !== 220) {
        throw new UpstreamError(
          'UNREACHABLE',
          `the Fachdienst refused the session: ${greeting.code} ${greeting.text}`,
        );
      }
      await writeBounded(socket, `EHLO ${ehloName(options.clientName, socket)}\r\n`, options.timeoutMs);
      const ehlo = await readSmtpReply(reader);
      if (ehlo.code !== 250) {
        throw new UpstreamError('PROTOCOL', `the Fachdienst refused EHLO: ${ehlo.code} ${ehlo.text}`);
      }
      return new SmtpClient(socket, reader, options.timeoutMs, parseCapabilities(ehlo.lines.slice(1)));
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** False once the connection is closed (by either side); then a new one is needed. */
  get isOpen(): boolean {
    return !this.#closed && !this.#socket.destroyed;
  }

  /** AUTH PLAIN (RFC 4616), or LOGIN when only that is offered. Returns the final reply. */
  async authenticate(user: string, password: string): Promise<SmtpReply> {
    const mechanisms = this.capabilities.authMechanisms;
    if (mechanisms.includes('PLAIN')) {
      const token = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
      return this.command(`AUTH PLAIN ${token}`);
    }
    if (mechanisms.includes('LOGIN')) {
      const first = await this.command('AUTH LOGIN');
      if (first.code !== 334) return first;
      const second = await this.command(Buffer.from(user, 'utf8').toString('base64'));
      if (second.code !== 334) return second;
      return this.command(Buffer.from(password, 'utf8').toString('base64'));
    }
    throw new UpstreamError('PROTOCOL', 'the Fachdienst offers neither AUTH PLAIN nor AUTH LOGIN');
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    // Every value in a command comes from a parsed client command; a line end here would let
    // a client smuggle a command of its own.
    if (/[\r\n]/.test(line)) throw new UpstreamError('PROTOCOL', 'line end inside an SMTP command');
    await this.#guard(writeBounded(this.#socket, `${line}\r\n`, this.#timeoutMs));
    return this.#guard(readSmtpReply(this.#reader));
  }

  /**
   * DATA: on 354 streams `message` dot-stuffed and ends it with `.`; returns the final reply (or
   * the refusal of DATA itself). Any failure while streaming destroys the connection first.
   */
  async data(message: MessageBytes): Promise<SmtpReply> {
    const start = await this.command('DATA');
    if (start.code !== 354) return start;
    const stuffer = new DotStuffer();
    try {
      for (const chunk of message) {
        const out = stuffer.push(chunk);
        if (out.length > 0) await writeBounded(this.#socket, out, this.#timeoutMs);
      }
      await writeBounded(this.#socket, stuffer.end(), this.#timeoutMs);
    } catch (error) {
      this.destroy();
      throw error;
    }
    return this.#guard(readSmtpReply(this.#reader));
  }

  /** QUIT and close; never throws (the session is over either way). */
  async quit(): Promise<void> {
    if (!this.isOpen) return;
    try {
      await this.command('QUIT');
    } catch {
      // The connection is being closed anyway; a Fachdienst that drops it first lost nothing.
    }
    this.#socket.end();
    this.#socket.destroySoon();
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  /** A failed read or write leaves the dialogue in an unknown state: the connection is dropped. */
  async #guard<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      this.destroy();
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError('CLOSED', 'the connection to the Fachdienst failed', { cause: error });
    }
  }
}

const DOMAIN_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * RFC 5321 §4.1.4: EHLO takes a domain or an address literal. A machine name such as `PC_07`
 * is neither, and a strict server would refuse every login because of it.
 */
function ehloName(name: string, socket: TLSSocket): string {
  if (DOMAIN_NAME.test(name)) return name;
  const local = socket.localAddress ?? '127.0.0.1';
  return isIPv6(local) ? `[IPv6:${local}]` : `[${local}]`;
}

function parseCapabilities(lines: readonly string[]): SmtpCapabilities {
  let size: number | null = null;
  let authMechanisms: string[] = [];
  let dsn = false;
  let eightBitMime = false;
  for (const line of lines) {
    const [keyword = '', ...params] = line.trim().toUpperCase().split(/\s+/);
    if (keyword === 'SIZE') {
      const n = Number(params[0] ?? '0');
      size = Number.isSafeInteger(n) && n > 0 ? n : 0;
    } else if (keyword === 'AUTH') {
      authMechanisms = params;
    } else if (keyword === 'DSN') {
      dsn = true;
    } else if (keyword === '8BITMIME') {
      eightBitMime = true;
    }
  }
  return { size, authMechanisms, dsn, eightBitMime };
}
