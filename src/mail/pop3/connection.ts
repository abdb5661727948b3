import type { Socket } from 'node:net';
import { LineReader } from './lineReader.js';
import type { InputLine } from './lineReader.js';

/** Pipelined lines queued before the socket is paused, and the level at which it resumes. */
const QUEUE_HIGH = 64;
const QUEUE_LOW = 8;
/** After the server ends a connection, how long the peer gets to close its side. */
const CLOSE_GRACE_MS = 5_000;

/** The connection is gone (or was given up): stop the current command quietly. */
export class ConnectionGone extends Error {
  constructor() {
    super('connection gone');
  }
}

/** What a POP3 session (the Fachdienst's, or the Clientmodul's proxy) does at each turn. */
export interface Pop3ConnectionEvents {
  /** One input line; lines are handled one at a time, in the order they came. */
  line(line: InputLine): Promise<void>;
  /** No line came for the idle time: returns the reply sent before the connection closes. */
  idle(): string;
  /** The peer stopped reading while a reply was written; the connection is destroyed. */
  stalled(): void;
  /** A line handler threw (not ConnectionGone); the connection is destroyed. */
  failed(error: unknown): void;
  /** The peer half-closed and every line it sent was handled; the connection is closed. */
  inputEnded(): void;
  /** The socket closed (at once, even while a line is being handled). */
  socketClosed(): void;
  /** Once, after the socket closed and no line is being handled any more. */
  finished(): Promise<void> | void;
}

export interface Pop3ConnectionOptions {
  /** Longest line kept whole (longer ones arrive truncated, for the session to refuse). */
  readonly maxLineOctets: number;
  /** Idle time before `idle`, and the longest a write may stall before `stalled`. */
  readonly idleTimeoutMs: number;
}

/**
 * The connection machinery a POP3 session stands on: lines read and queued (the socket pauses
 * while many wait), handled strictly one after the other (so pipelined commands are answered in
 * order), writes that wait for a slow reader only so long, the idle timer, and a close that
 * gives the peer a grace period before the socket is destroyed.
 */
export class Pop3Connection {
  readonly done: Promise<void>;
  readonly #socket: Socket;
  readonly #options: Pop3ConnectionOptions;
  readonly #events: Pop3ConnectionEvents;
  readonly #reader: LineReader;
  readonly #queue: InputLine[] = [];
  #busy = false;
  #closing = false;
  #inputEnded = false;
  #socketClosed = false;
  #finished = false;
  #idleTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #resolveDone: () => void = () => undefined;

  constructor(socket: Socket, options: Pop3ConnectionOptions, events: Pop3ConnectionEvents) {
    this.#socket = socket;
    this.#options = options;
    this.#events = events;
    this.#reader = new LineReader(options.maxLineOctets);
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** A line is being handled. */
  get busy(): boolean {
    return this.#busy;
  }

  /** No further lines are handled (the session ended, or the connection is going). */
  get closing(): boolean {
    return this.#closing;
  }

  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? 'unknown';
  }

  start(greeting: string): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#inputEnded = true;
      this.#kick();
    });
    socket.on('error', () => undefined); // 'close' follows; the session logs how it ended
    socket.on('close', () => this.#onClose());
    socket.write(`${greeting}\r\n`);
    this.#armIdle();
  }

  /** Handle no more lines (after QUIT, or when the session gives up); output still goes out. */
  stopReading(): void {
    this.#closing = true;
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.#closing = true;
    this.#socket.destroy();
  }

  /** Ends the connection after the queued output; destroys it if the peer does not close. */
  close(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#clearIdle();
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    this.#closeTimer ??= setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    this.#closeTimer.unref();
  }

  /** Writes one reply (a line, or a complete multi-line response when `addCrlf` is false). */
  send(reply: string, addCrlf = true): Promise<void> {
    return this.write(addCrlf ? `${reply}\r\n` : reply);
  }

  /** Writes; when the socket buffer is full, waits for 'drain' (a reader that stalls is dropped). */
  async write(data: string | Buffer): Promise<void> {
    this.#assertOpen();
    if (!this.#socket.write(data)) await this.#whileStalling((settle) => this.#socket.once('drain', settle));
  }

  /** Writes and waits until the bytes were handed to the OS (the end of a RETR). */
  writeFlushed(data: Buffer): Promise<void> {
    this.#assertOpen();
    return this.#whileStalling((settle) =>
      this.#socket.write(data, (error) => (error ? settle(new ConnectionGone()) : settle())),
    );
  }

  #assertOpen(): void {
    const socket = this.#socket;
    if (this.#socketClosed || socket.destroyed || socket.writableEnded) throw new ConnectionGone();
  }

  /**
   * Runs `start` and waits for it to settle; a peer that reads nothing for the idle time makes
   * it fail (and is dropped), and so does the socket closing meanwhile.
   */
  #whileStalling(start: (settle: (error?: Error) => void) => void): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(stalled);
        socket.off('close', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const stalled = setTimeout(() => {
        this.#events.stalled();
        this.destroy();
        settle(new ConnectionGone());
      }, this.#options.idleTimeoutMs);
      const onClose = (): void => settle(new ConnectionGone());
      socket.on('close', onClose);
      start(settle);
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    for (const line of this.#reader.push(chunk)) this.#queue.push(line);
    if (this.#queue.length === 0) return;
    this.#clearIdle();
    if (this.#queue.length >= QUEUE_HIGH) this.#socket.pause();
    this.#kick();
  }

  #onClose(): void {
    this.#socketClosed = true;
    this.#closing = true;
    this.#clearIdle();
    this.#events.socketClosed();
    if (!this.#busy) void this.#finish();
  }

  #kick(): void {
    if (!this.#busy) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      for (;;) {
        if (this.#closing) break;
        const line = this.#queue.shift();
        if (line === undefined) break;
        if (this.#queue.length <= QUEUE_LOW && this.#socket.isPaused()) this.#socket.resume();
        await this.#events.line(line);
      }
    } catch (error) {
      if (!(error instanceof ConnectionGone)) this.#events.failed(error);
      this.destroy();
    } finally {
      this.#busy = false;
    }
    if (this.#socketClosed) {
      await this.#finish();
    } else if (!this.#closing) {
      if (this.#inputEnded && this.#queue.length === 0) {
        this.#events.inputEnded();
        this.close();
      } else {
        this.#armIdle();
      }
    }
  }

  #armIdle(): void {
    this.#clearIdle();
    if (this.#closing) return;
    this.#idleTimer = setTimeout(() => this.#onIdle(), this.#options.idleTimeoutMs);
  }

  #clearIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #onIdle(): void {
    this.#idleTimer = null;
    if (this.#busy || this.#closing) return;
    const reply = this.#events.idle();
    this.#closing = true;
    if (!this.#socket.destroyed && !this.#socket.writableEnded) this.#socket.write(`${reply}\r\n`);
    this.close();
  }

  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearIdle();
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    await this.#events.finished();
    this.#resolveDone();
  }
}
