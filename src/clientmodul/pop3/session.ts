import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { parseCommand } from '../../mail/pop3/commands.js';
import { Pop3Connection } from '../../mail/pop3/connection.js';
import type { InputLine } from '../../mail/pop3/lineReader.js';
import { multiline } from '../../mail/pop3/multiline.js';
import { decodeSaslPlain } from '../../mail/pop3/saslPlain.js';
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
  readonly #connection: Pop3Connection;
  readonly #options: Pop3ProxySessionOptions;
  readonly #log: Logger;
  #state: SessionState = { kind: 'authorization', user: null, awaitingSasl: false };
  #badCommands = 0;
  #authFailures = 0;

  constructor(socket: Socket, options: Pop3ProxySessionOptions) {
    this.#options = options;
    this.#log = options.logger.child({ session: this.id });
    socket.on('error', (error: Error) => this.#log.debug({ err: error }, 'pop3 proxy client socket error'));
    this.#connection = new Pop3Connection(
      socket,
      { maxLineOctets: MAX_SASL_RESPONSE_OCTETS, idleTimeoutMs: options.clientTimeoutMs },
      {
        line: (line) => this.#handle(line),
        idle: () => {
          this.#log.info('pop3 proxy client timeout');
          this.#dropUpstream();
          return replies.timeout;
        },
        stalled: () => this.#log.info('mail program stopped reading, closing connection'),
        failed: (error) => this.#log.error({ err: error }, 'pop3 proxy session failed'),
        inputEnded: () => this.#dropUpstream(),
        socketClosed: () => this.#dropUpstream(),
        finished: () =>
          this.#log.debug(
            { authFailures: this.#authFailures, badCommands: this.#badCommands },
            'pop3 proxy session ended',
          ),
      },
    );
  }

  /** Resolves once the client connection is closed. */
  get done(): Promise<void> {
    return this.#connection.done;
  }

  start(): void {
    this.#connection.start(replies.greeting(this.#options.hostname));
  }

  /** Ends the session at once (proxy shutdown); the Fachdienst deletes nothing. */
  shutdown(): void {
    this.#dropUpstream();
    this.#connection.destroy();
  }

  // ---- the command loop -----------------------------------------------------------------

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
        this.#connection.stopReading();
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
    if (this.#connection.closing) {
      upstream.destroy();
      return;
    }
    const transaction = new ProxiedTransaction(upstream, username, {
      processor: this.#options.processor,
      maxMessageSize: this.#options.maxMessageSize,
      output: { send: (reply) => this.#send(reply), write: (data) => this.#connection.write(data) },
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
    this.#connection.stopReading();
    if (midAnswer) {
      // A multi-line answer cannot be turned into an error: without its terminator the client
      // knows the answer is incomplete.
      this.#connection.destroy();
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
    const connection = this.#connection;
    if (
      state.kind !== 'transaction' ||
      state.transaction !== transaction ||
      connection.busy ||
      connection.closing
    )
      return;
    this.#log.info('Fachdienst closed the connection');
    connection.stopReading();
    this.#state = { kind: 'ended' };
    connection.send(replies.upstreamLost).catch(() => undefined);
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
      this.#connection.stopReading();
      await this.#send(replies.tooManyBadCommands);
      this.#closeConnection();
      return;
    }
    await this.#send(reply);
  }

  #send(reply: string, addCrlf = true): Promise<void> {
    return this.#connection.send(reply, addCrlf);
  }

  /** Ends the client connection after the queued output; the Fachdienst connection goes too. */
  #closeConnection(): void {
    this.#dropUpstream();
    this.#connection.close();
  }
}
