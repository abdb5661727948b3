import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { parseCommand } from '../../fachdienst/pop3/commands.js';
import { LineReader } from '../../fachdienst/pop3/lineReader.js';
import type { InputLine } from '../../fachdienst/pop3/lineReader.js';
import { multiline } from '../../fachdienst/pop3/replies.js';
import { decodeSaslPlain } from '../../fachdienst/pop3/saslPlain.js';
import type { Logger } from '../../logging/logger.js';
import type { IncomingMailProcessor } from '../ports.js';
import type { UpstreamTlsOptions } from '../upstream/connect.js';
import { UpstreamError } from '../upstream/errors.js';
import { Pop3Client } from '../upstream/pop3Client.js';
import type { Pop3Status } from '../upstream/pop3Client.js';
import { parseClientUsername, UsernameError } from '../username.js';
import type { ClientUsername, UpstreamEndpoint } from '../username.js';
import { CAPABILITIES, loginRefusal, replies } from './replies.js';
import { ProxiedTransaction } from './transaction.js';

export interface Pop3ProxySessionOptions {
  readonly hostname: string;
  readonly defaultUpstream: UpstreamEndpoint;
  readonly upstreamTls: UpstreamTlsOptions;
  readonly upstreamTimeoutMs: number;
  /** POP3_TIMEOUT_CLIENT: idle time before "-ERR timeout"; also the longest a write may stall. */
  readonly clientTimeoutMs: number;
  /** Largest message RETR holds in memory for the message pipeline. */
  readonly maxMessageSize: number;
  readonly maxAuthFailures: number;
  readonly maxBadCommands: number;
  readonly processor: IncomingMailProcessor;
  readonly logger: Logger;
}

type SessionState =
  | {
      readonly kind: 'authorization';
      /** The username of an accepted USER command, waiting for PASS. */
      readonly user: ClientUsername | null;
      /** AUTH PLAIN without initial response was answered with "+ ": the next line is the response. */
      readonly awaitingSasl: boolean;
    }
  | { readonly kind: 'transaction'; readonly transaction: ProxiedTransaction }
  | { readonly kind: 'ended' };

/** RFC 2449: a command line is at most 255 octets including CRLF. */
const MAX_COMMAND_OCTETS = 253;
/** RFC 5034: SASL responses are not bound by the command limit; this only bounds memory. */
const MAX_SASL_RESPONSE_OCTETS = 4096;
const QUEUE_HIGH = 64;
const QUEUE_LOW = 8;
const CLOSE_GRACE_MS = 5_000;

/** The mail program is gone, or the session was given up: stop the current command quietly. */
class ConnectionGone extends Error {
  constructor() {
    super('connection gone');
  }
}

/**
 * One POP3 connection of a mail program (kim-domain §7.3). In AUTHORIZATION the proxy answers
 * itself; a login is passed to the Fachdienst (plain address, POP3S) and its answer decides. In
 * TRANSACTION every command goes to the Fachdienst unchanged and its answer comes back, except
 * RETR (the message goes through the message pipeline) and TOP (k forced to 0).
 *
 * Commands run strictly one after the other, so pipelined commands are answered in order. The
 * Fachdienst session is only ever ended by the client's own QUIT; a dropped or timed-out client
 * connection drops the Fachdienst connection too, which deletes nothing (RFC 1939 §6).
 */
export class Pop3ProxySession {
  readonly id: string = randomUUID();
  readonly done: Promise<void>;
  readonly #socket: Socket;
  readonly #options: Pop3ProxySessionOptions;
  readonly #log: Logger;
  readonly #reader = new LineReader(MAX_SASL_RESPONSE_OCTETS);
  readonly #queue: InputLine[] = [];
  #state: SessionState = { kind: 'authorization', user: null, awaitingSasl: false };
  #busy = false;
  #closing = false;
  #inputEnded = false;
  #socketClosed = false;
  #finished = false;
  #idleTimer: NodeJS.Timeout | null = null;
  #badCommands = 0;
  #authFailures = 0;
  #resolveDone: () => void = () => undefined;

  constructor(socket: Socket, options: Pop3ProxySessionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#log = options.logger.child({ session: this.id });
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  start(): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#inputEnded = true;
      this.#kick();
    });
    socket.on('error', (error: Error) => this.#log.debug({ err: error }, 'pop3 proxy client socket error'));
    socket.on('close', () => this.#onClose());
    socket.write(`${replies.greeting(this.#options.hostname)}\r\n`);
    this.#armIdle();
  }

  /** Ends the session at once (proxy shutdown); the Fachdienst deletes nothing. */
  shutdown(): void {
    this.#closing = true;
    this.#dropUpstream();
    this.#socket.destroy();
  }

  // ---- input and the command loop -------------------------------------------------------

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
    this.#dropUpstream();
    if (!this.#busy) this.#finish();
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
        await this.#handle(line);
      }
    } catch (error) {
      if (!(error instanceof ConnectionGone)) this.#log.error({ err: error }, 'pop3 proxy session failed');
      this.#closing = true;
      this.#dropUpstream();
      this.#socket.destroy();
    } finally {
      this.#busy = false;
    }
    if (this.#socketClosed) {
      this.#finish();
    } else if (!this.#closing) {
      if (this.#inputEnded && this.#queue.length === 0) this.#closeConnection();
      else this.#armIdle();
    }
  }

  async #handle(line: InputLine): Promise<void> {
    const state = this.#state;
    if (state.kind === 'authorization' && state.awaitingSasl) {
      this.#state = { kind: 'authorization', user: null, awaitingSasl: false };
      if (line.text === '*') return this.#send(replies.saslCancelled);
      return this.#saslResponse(line.text);
    }
    if (line.truncated || line.octets > MAX_COMMAND_OCTETS) return this.#bad(replies.lineTooLong);
    if (state.kind === 'authorization') return this.#authorization(line.text, state.user);
    if (state.kind === 'transaction') return this.#transaction(line.text, state.transaction);
  }

  // ---- AUTHORIZATION: answered by the proxy ------------------------------------------------

  async #authorization(text: string, user: ClientUsername | null): Promise<void> {
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      return this.#bad(
        parsed.error === 'unknown' ? replies.unknownCommand : replies.syntaxError(parsed.name),
      );
    }
    const command = parsed.command;
    switch (command.name) {
      case 'CAPA':
        return this.#send(multiline(replies.capaFollows, CAPABILITIES), false);
      case 'USER': {
        let username: ClientUsername;
        try {
          username = parseClientUsername(command.user, 'pop3');
        } catch (error) {
          if (!(error instanceof UsernameError)) throw error;
          return this.#authFailed(replies.usernameInvalid(error.message));
        }
        this.#state = { kind: 'authorization', user: username, awaitingSasl: false };
        return this.#send(replies.userAccepted);
      }
      case 'PASS':
        if (user === null) return this.#bad(replies.userFirst);
        this.#state = { kind: 'authorization', user: null, awaitingSasl: false };
        return this.#login(user, command.password);
      case 'AUTH':
        if (command.mechanism === null)
          return this.#send(multiline(replies.mechanismsFollow, ['PLAIN']), false);
        if (command.mechanism.toUpperCase() !== 'PLAIN') return this.#bad(replies.mechanismUnsupported);
        if (command.initialResponse === null) {
          this.#state = { kind: 'authorization', user: null, awaitingSasl: true };
          return this.#send(replies.saslContinue);
        }
        return this.#saslResponse(command.initialResponse);
      case 'QUIT':
        this.#closing = true;
        await this.#send(replies.signOff);
        this.#closeConnection();
        return;
      case 'APOP':
        return this.#bad(replies.apopUnsupported);
      case 'STLS':
        return this.#bad(replies.stlsUnsupported);
      default:
        return this.#bad(replies.notBeforeLogin(command.name));
    }
  }

  async #saslResponse(response: string): Promise<void> {
    const decoded = decodeSaslPlain(response);
    if (!decoded.ok) return this.#authFailed(replies.saslMalformed);
    let username: ClientUsername;
    try {
      username = parseClientUsername(decoded.authcid, 'pop3');
    } catch (error) {
      if (!(error instanceof UsernameError)) throw error;
      return this.#authFailed(replies.usernameInvalid(error.message));
    }
    return this.#login(username, decoded.password);
  }

  /** Logs in at the Fachdienst with the plain address (KOM-LE-A_2034); its answer decides. */
  async #login(username: ClientUsername, password: string): Promise<void> {
    const endpoint = username.upstream ?? this.#options.defaultUpstream;
    let upstream: Pop3Client;
    try {
      upstream = await Pop3Client.connect({
        endpoint,
        tls: this.#options.upstreamTls,
        timeoutMs: this.#options.upstreamTimeoutMs,
      });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.#log.warn(
        { code: error.code, upstream: `${endpoint.host}:${endpoint.port}` },
        'Fachdienst unreachable',
      );
      return this.#send(replies.upstreamUnavailable);
    }
    let status: Pop3Status;
    try {
      status = await upstream.login(username.address, password);
    } catch (error) {
      upstream.destroy();
      if (!(error instanceof UpstreamError)) throw error;
      return this.#send(error.code === 'TIMEOUT' ? replies.upstreamTimeout : replies.upstreamLost);
    }
    if (!status.ok) {
      upstream.destroy();
      return this.#authFailed(loginRefusal(status.line));
    }
    if (this.#closing) {
      upstream.destroy();
      return;
    }
    const transaction = new ProxiedTransaction(upstream, username, {
      processor: this.#options.processor,
      maxMessageSize: this.#options.maxMessageSize,
      output: { send: (reply) => this.#send(reply), write: (data) => this.#write(data) },
      log: this.#log,
    });
    this.#state = { kind: 'transaction', transaction };
    upstream.onClose(() => this.#upstreamClosed(transaction));
    this.#log.info({ upstream: `${endpoint.host}:${endpoint.port}` }, 'pop3 proxy login');
    return this.#send(status.line);
  }

  async #authFailed(reply: string): Promise<void> {
    this.#authFailures += 1;
    this.#log.info({ failures: this.#authFailures }, 'pop3 proxy login refused');
    await this.#send(reply);
    if (this.#authFailures >= this.#options.maxAuthFailures) this.#closeConnection();
  }

  // ---- TRANSACTION: passed to the Fachdienst ------------------------------------------------

  async #transaction(line: string, transaction: ProxiedTransaction): Promise<void> {
    try {
      if ((await transaction.handle(line)) === 'quit') {
        // The Fachdienst closes its side after QUIT; nothing more is read from the client.
        this.#state = { kind: 'ended' };
        this.#closeConnection();
      }
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      await this.#upstreamFailed(error, transaction.midAnswer);
    }
  }

  async #upstreamFailed(error: UpstreamError, midAnswer: boolean): Promise<void> {
    this.#log.warn({ code: error.code }, 'Fachdienst connection failed');
    this.#dropUpstream();
    this.#closing = true;
    if (midAnswer) {
      // A multi-line answer cannot be turned into an error: without its terminator the client
      // knows the answer is incomplete.
      this.#socket.destroy();
      return;
    }
    await this.#send(error.code === 'TIMEOUT' ? replies.upstreamTimeout : replies.upstreamLost).catch(
      () => undefined,
    );
    this.#closeConnection();
  }

  /** The Fachdienst closed while the client was idle (e.g. its own autologout). */
  #upstreamClosed(transaction: ProxiedTransaction): void {
    const state = this.#state;
    if (state.kind !== 'transaction' || state.transaction !== transaction || this.#busy || this.#closing)
      return;
    this.#log.info('Fachdienst closed the connection');
    this.#closing = true;
    this.#state = { kind: 'ended' };
    this.#socket.write(`${replies.upstreamLost}\r\n`);
    this.#closeConnection();
  }

  #dropUpstream(): void {
    const state = this.#state;
    if (state.kind === 'transaction') state.transaction.upstream.destroy();
    this.#state = { kind: 'ended' };
  }

  // ---- output -------------------------------------------------------------------------------

  async #bad(reply: string): Promise<void> {
    this.#badCommands += 1;
    if (this.#badCommands >= this.#options.maxBadCommands) {
      this.#closing = true;
      await this.#send(replies.tooManyBadCommands);
      this.#closeConnection();
      return;
    }
    await this.#send(reply);
  }

  #send(reply: string, addCrlf = true): Promise<void> {
    return this.#write(addCrlf ? `${reply}\r\n` : reply);
  }

  /** Writes to the mail program; a program that stops reading for clientTimeoutMs is dropped. */
  async #write(data: string | Buffer): Promise<void> {
    const socket = this.#socket;
    if (this.#socketClosed || socket.destroyed || socket.writableEnded) throw new ConnectionGone();
    if (socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const stalled = setTimeout(() => {
        cleanup();
        this.#log.info('mail program stopped reading, closing connection');
        this.#closing = true;
        socket.destroy();
        reject(new ConnectionGone());
      }, this.#options.clientTimeoutMs);
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new ConnectionGone());
      };
      const cleanup = (): void => {
        clearTimeout(stalled);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
      };
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  }

  // ---- timers and the end ---------------------------------------------------------------

  #armIdle(): void {
    this.#clearIdle();
    if (this.#closing) return;
    this.#idleTimer = setTimeout(() => this.#onIdle(), this.#options.clientTimeoutMs);
  }

  #clearIdle(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #onIdle(): void {
    this.#idleTimer = null;
    if (this.#busy || this.#closing) return;
    this.#log.info('pop3 proxy client timeout');
    this.#closing = true;
    this.#dropUpstream();
    if (!this.#socket.destroyed && !this.#socket.writableEnded) this.#socket.write(`${replies.timeout}\r\n`);
    this.#closeConnection();
  }

  /** Ends the connection after the queued output; destroys it if the peer does not close. */
  #closeConnection(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#clearIdle();
    if (this.#state.kind === 'transaction') this.#dropUpstream();
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearIdle();
    this.#log.debug(
      { authFailures: this.#authFailures, badCommands: this.#badCommands },
      'pop3 proxy session ended',
    );
    this.#resolveDone();
  }
}
