import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../../logging/logger.js';
import { parseCommand } from './commands.js';
import type { Pop3Command, Pop3CommandName } from './commands.js';
import { DotStuffer } from './dotStuff.js';
import type {
  Pop3Account,
  Pop3AuthResult,
  Pop3Hooks,
  Pop3Maildrop,
  Pop3MaildropEntry,
  Pop3OpenResult,
} from './hooks.js';
import { LineReader } from './lineReader.js';
import type { InputLine } from './lineReader.js';
import { AUTH_FAILURE_REPLIES, OPEN_FAILURE_REPLIES, capabilities, multiline, replies } from './replies.js';
import { decodeSaslPlain } from './saslPlain.js';
import { TopLimiter } from './top.js';

export interface Pop3SessionOptions {
  readonly hooks: Pop3Hooks;
  readonly hostname: string;
  /** Autologout after this long without a command, and the longest a write may stall. */
  readonly idleTimeoutMs: number;
  /** Unknown commands, syntax errors, commands in the wrong state: the connection closes at this count. */
  readonly maxBadCommands: number;
  /** Failed authentications after which the connection closes. */
  readonly maxAuthFailures: number;
  readonly logger: Logger;
}

/** Protocol state (RFC 1939 section 3). */
export type Pop3SessionState =
  | {
      readonly kind: 'authorization';
      /** The name of an accepted USER command, waiting for PASS. */
      readonly user: string | null;
      /** AUTH PLAIN without initial response was answered with "+ ": the next line is the response. */
      readonly awaitingSaslResponse: boolean;
    }
  | {
      readonly kind: 'transaction';
      readonly account: Pop3Account;
      readonly maildrop: Pop3Maildrop;
      /** Message numbers marked by DELE. */
      readonly deleted: Set<number>;
    }
  | { readonly kind: 'update' };

type TransactionState = Extract<Pop3SessionState, { kind: 'transaction' }>;

/** Why a session ended (logged once at the end). */
export type Pop3SessionEnd =
  | 'quit'
  | 'client-closed'
  | 'dropped'
  | 'autologout'
  | 'write-stalled'
  | 'bad-commands'
  | 'auth-failures'
  | 'message-failed'
  | 'shutdown'
  | 'failed';

/** RFC 2449: a command line is at most 255 octets including CRLF. */
const MAX_COMMAND_OCTETS = 253;
/** RFC 5034: SASL responses are not bound by the command limit; this only bounds memory. */
const MAX_SASL_RESPONSE_OCTETS = 4096;
/** Pipelined lines queued before the socket is paused, and the level at which it resumes. */
const QUEUE_HIGH = 64;
const QUEUE_LOW = 8;
/** After the server ends a connection, how long the peer gets to close its side. */
const CLOSE_GRACE_MS = 5_000;

/** The connection is gone (or was given up): stop the current command quietly. */
class ConnectionGone extends Error {
  constructor() {
    super('connection gone');
  }
}

/**
 * One POP3 connection: reads lines, runs commands strictly one after the other (so pipelined
 * commands are answered in order and a multi-line response is complete before the next command
 * starts), and always releases an opened maildrop exactly once, however the connection ends.
 * Deletions are only committed in UPDATE state after QUIT.
 */
export class Pop3Session {
  readonly id: string = randomUUID();
  readonly done: Promise<void>;
  readonly #socket: Socket;
  readonly #options: Pop3SessionOptions;
  readonly #remoteAddress: string;
  readonly #log: Logger;
  readonly #reader = new LineReader(MAX_SASL_RESPONSE_OCTETS);
  readonly #queue: InputLine[] = [];
  readonly #commandCounts: Partial<Record<Pop3CommandName | 'UNKNOWN' | 'LINE', number>> = {};
  #state: Pop3SessionState = { kind: 'authorization', user: null, awaitingSaslResponse: false };
  /** The opened maildrop, to be released when the session ends. */
  #lease: Pop3Maildrop | null = null;
  #busy = false;
  #closing = false;
  #inputEnded = false;
  #socketClosed = false;
  #finished = false;
  #end: Pop3SessionEnd | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #badCommands = 0;
  #authFailures = 0;
  #messagesSent = 0;
  #octetsSent = 0;
  #resolveDone: () => void = () => undefined;

  constructor(socket: Socket, options: Pop3SessionOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#remoteAddress = socket.remoteAddress ?? 'unknown';
    this.#log = options.logger.child({ sessionId: this.id, remoteAddress: this.#remoteAddress });
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  get state(): Pop3SessionState['kind'] {
    return this.#state.kind;
  }

  start(): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#inputEnded = true;
      this.#kick();
    });
    socket.on('error', (error: Error) => this.#log.debug({ err: error }, 'pop3 socket error'));
    socket.on('close', () => this.#onClose());
    this.#log.debug('pop3 session started');
    socket.write(`${replies.greeting(this.#options.hostname)}\r\n`);
    this.#armIdle();
  }

  /** Ends the session at once (server shutdown). Nothing is deleted. */
  shutdown(): void {
    this.#endAs('shutdown');
    this.#closing = true;
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
    this.#endAs('dropped');
    this.#clearIdle();
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
        await this.#handle(line);
      }
    } catch (error) {
      if (!(error instanceof ConnectionGone)) {
        this.#log.error({ err: error }, 'pop3 session failed');
        this.#endAs('failed');
      }
      this.#closing = true;
      this.#socket.destroy();
    } finally {
      this.#busy = false;
    }
    if (this.#socketClosed) {
      await this.#finish();
    } else if (!this.#closing) {
      if (this.#inputEnded && this.#queue.length === 0) {
        this.#endAs('client-closed');
        this.#closeConnection();
      } else {
        this.#armIdle();
      }
    }
  }

  async #handle(line: InputLine): Promise<void> {
    const state = this.#state;
    if (state.kind === 'authorization' && state.awaitingSaslResponse) {
      this.#state = { kind: 'authorization', user: null, awaitingSaslResponse: false };
      return this.#saslResponse(line);
    }
    if (line.truncated || line.octets > MAX_COMMAND_OCTETS) {
      this.#count('LINE');
      return this.#bad(replies.lineTooLong);
    }
    const parsed = parseCommand(line.text);
    if (!parsed.ok) {
      this.#count(parsed.error === 'unknown' ? 'UNKNOWN' : parsed.name);
      return this.#bad(
        parsed.error === 'unknown' ? replies.unknownCommand : replies.syntaxError(parsed.name),
      );
    }
    const command = parsed.command;
    this.#count(command.name);
    this.#log.debug({ command: command.name }, 'pop3 command');
    switch (state.kind) {
      case 'authorization':
        return this.#authorization(command, state.user);
      case 'transaction':
        return this.#transaction(command, state);
      case 'update':
        return;
    }
  }

  #count(name: Pop3CommandName | 'UNKNOWN' | 'LINE'): void {
    this.#commandCounts[name] = (this.#commandCounts[name] ?? 0) + 1;
  }

  /** Replies to a bad command (unknown, malformed, wrong state); closes at maxBadCommands. */
  async #bad(reply: string): Promise<void> {
    this.#badCommands++;
    if (this.#badCommands >= this.#options.maxBadCommands) {
      this.#log.info({ badCommands: this.#badCommands }, 'pop3 too many bad commands');
      this.#endAs('bad-commands');
      this.#closing = true;
      await this.#send(replies.tooManyBadCommands);
      this.#closeConnection();
      return;
    }
    await this.#send(reply);
  }

  // ---- AUTHORIZATION ----------------------------------------------------------------------

  async #authorization(command: Pop3Command, pendingUser: string | null): Promise<void> {
    this.#state = { kind: 'authorization', user: null, awaitingSaslResponse: false };
    switch (command.name) {
      case 'CAPA':
        return this.#send(multiline(replies.capaFollows, capabilities('authorization')), false);
      case 'USER':
        this.#state = { kind: 'authorization', user: command.user, awaitingSaslResponse: false };
        return this.#send(replies.userAccepted);
      case 'PASS':
        if (pendingUser === null) return this.#bad(replies.userFirst);
        return this.#login(pendingUser, command.password);
      case 'AUTH':
        return this.#auth(command);
      case 'APOP':
        return this.#send(replies.apopUnsupported);
      case 'STLS':
        return this.#send(replies.stlsUnsupported);
      case 'QUIT':
        this.#endAs('quit');
        this.#closing = true;
        await this.#send(replies.signOff(this.#options.hostname, null));
        this.#closeConnection();
        return;
      default:
        return this.#bad(replies.wrongState(command.name));
    }
  }

  async #auth(command: Extract<Pop3Command, { name: 'AUTH' }>): Promise<void> {
    if (command.mechanism === null) return this.#send(multiline(replies.mechanismsFollow, ['PLAIN']), false);
    if (command.mechanism.toUpperCase() !== 'PLAIN') return this.#send(replies.mechanismUnsupported);
    if (command.initialResponse === null) {
      this.#state = { kind: 'authorization', user: null, awaitingSaslResponse: true };
      return this.#send(replies.saslContinue);
    }
    // RFC 5034: "=" is an empty initial response.
    return this.#saslPlain(command.initialResponse === '=' ? '' : command.initialResponse);
  }

  async #saslResponse(line: InputLine): Promise<void> {
    if (line.truncated) return this.#bad(replies.saslMalformed);
    if (line.text === '*') return this.#send(replies.saslCancelled);
    return this.#saslPlain(line.text);
  }

  async #saslPlain(response: string): Promise<void> {
    const decoded = decodeSaslPlain(response);
    if (!decoded.ok) {
      return decoded.error === 'malformed' ? this.#bad(replies.saslMalformed) : this.#authFailed('invalid');
    }
    return this.#login(decoded.authcid, decoded.password);
  }

  async #login(user: string, password: string): Promise<void> {
    let auth: Pop3AuthResult;
    try {
      auth = await this.#options.hooks.authenticate(user, password, this.#remoteAddress);
    } catch (error) {
      this.#log.error({ err: error }, 'pop3 authenticate hook failed');
      auth = { ok: false, reason: 'unavailable' };
    }
    if (!auth.ok) return this.#authFailed(auth.reason);

    const account = auth.account;
    let opened: Pop3OpenResult;
    try {
      opened = await this.#options.hooks.openMaildrop(account, this.id);
    } catch (error) {
      this.#log.error({ err: error, accountId: account.accountId }, 'pop3 openMaildrop hook failed');
      opened = { ok: false, reason: 'unavailable' };
    }
    if (!opened.ok) {
      this.#log.info({ accountId: account.accountId, reason: opened.reason }, 'pop3 maildrop not opened');
      return this.#send(OPEN_FAILURE_REPLIES[opened.reason]);
    }
    // From here on the maildrop is released when the session ends, even if the socket is gone.
    this.#lease = opened.maildrop;
    const state: TransactionState = {
      kind: 'transaction',
      account,
      maildrop: opened.maildrop,
      deleted: new Set(),
    };
    this.#state = state;
    const { count, octets } = summary(state);
    this.#log.info({ accountId: account.accountId, messages: count, octets }, 'pop3 login');
    return this.#send(replies.maildrop(count, octets));
  }

  async #authFailed(reason: Extract<Pop3AuthResult, { ok: false }>['reason']): Promise<void> {
    this.#authFailures++;
    this.#log.info({ reason, failures: this.#authFailures }, 'pop3 authentication failed');
    if (this.#authFailures >= this.#options.maxAuthFailures) {
      this.#endAs('auth-failures');
      this.#closing = true;
      await this.#send(AUTH_FAILURE_REPLIES[reason]);
      this.#closeConnection();
      return;
    }
    await this.#send(AUTH_FAILURE_REPLIES[reason]);
  }

  // ---- TRANSACTION and UPDATE -------------------------------------------------------------

  async #transaction(command: Pop3Command, state: TransactionState): Promise<void> {
    switch (command.name) {
      case 'CAPA':
        return this.#send(multiline(replies.capaFollows, capabilities('transaction')), false);
      case 'NOOP':
        return this.#send(replies.ok);
      case 'STAT': {
        const { count, octets } = summary(state);
        return this.#send(replies.stat(count, octets));
      }
      case 'LIST': {
        if (command.msg !== null) {
          const found = lookup(state, command.msg);
          return this.#send(found.ok ? replies.scanListing(command.msg, found.entry.size) : found.reply);
        }
        const { count, octets } = summary(state);
        const lines = visible(state).map(([msg, entry]) => `${msg} ${entry.size}`);
        return this.#send(multiline(replies.listFollows(count, octets), lines), false);
      }
      case 'UIDL': {
        if (command.msg !== null) {
          const found = lookup(state, command.msg);
          return this.#send(found.ok ? replies.uidListing(command.msg, found.entry.uidl) : found.reply);
        }
        const lines = visible(state).map(([msg, entry]) => `${msg} ${entry.uidl}`);
        return this.#send(multiline(replies.uidlFollows, lines), false);
      }
      case 'RETR': {
        const found = lookup(state, command.msg);
        if (!found.ok) return this.#send(found.reply);
        const complete = await this.#sendMessage(state.maildrop, found.entry, null);
        if (!complete) return;
        try {
          await state.maildrop.recordFetch(found.entry.uid);
        } catch (error) {
          this.#log.warn({ err: error, uid: found.entry.uid }, 'pop3 recordFetch hook failed');
        }
        return;
      }
      case 'TOP': {
        const found = lookup(state, command.msg);
        if (!found.ok) return this.#send(found.reply);
        await this.#sendMessage(state.maildrop, found.entry, command.lines);
        return;
      }
      case 'DELE': {
        const found = lookup(state, command.msg);
        if (!found.ok) return this.#send(found.reply);
        state.deleted.add(command.msg);
        return this.#send(replies.deleted(command.msg));
      }
      case 'RSET': {
        state.deleted.clear();
        const { count, octets } = summary(state);
        return this.#send(replies.maildrop(count, octets));
      }
      case 'QUIT':
        return this.#quit(state);
      default:
        return this.#bad(replies.wrongState(command.name));
    }
  }

  async #quit(state: TransactionState): Promise<void> {
    const entries = state.maildrop.entries;
    const uids = [...state.deleted]
      .sort((a, b) => a - b)
      .flatMap((msg) => {
        const entry = entries[msg - 1];
        return entry === undefined ? [] : [entry.uid];
      });
    this.#state = { kind: 'update' };
    this.#endAs('quit');
    this.#closing = true; // commands pipelined after QUIT are not run
    if (uids.length > 0) {
      try {
        await state.maildrop.commitDeletions(uids);
        this.#log.info(
          { accountId: state.account.accountId, deleted: uids.length },
          'pop3 deletions committed',
        );
      } catch (error) {
        this.#log.error({ err: error, accountId: state.account.accountId }, 'pop3 commitDeletions failed');
        await this.#send(replies.commitFailed);
        this.#closeConnection();
        return;
      }
    }
    await this.#send(replies.signOff(this.#options.hostname, entries.length - uids.length));
    this.#closeConnection();
  }

  /**
   * RETR (bodyLines null) or TOP: streams the message dot-stuffed, chunk by chunk, waiting for
   * the socket to drain. Returns true once the terminating ".\r\n" was handed to the OS. A
   * failing message stream after "+OK" closes the connection: a multi-line response cannot be
   * turned into an error.
   */
  async #sendMessage(
    maildrop: Pop3Maildrop,
    entry: Pop3MaildropEntry,
    bodyLines: number | null,
  ): Promise<boolean> {
    let source: NodeJS.ReadableStream;
    try {
      source = await maildrop.open(entry.uid);
    } catch (error) {
      this.#log.error({ err: error, uid: entry.uid }, 'pop3 open message failed');
      await this.#send(replies.messageUnavailable);
      return false;
    }
    const stuffer = new DotStuffer();
    const limiter = bodyLines === null ? null : new TopLimiter(bodyLines);
    let octets = 0;
    try {
      await this.#send(bodyLines === null ? replies.retrFollows(entry.size) : replies.topFollows);
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        octets += bytes.length;
        const out = stuffer.push(limiter === null ? bytes : limiter.push(bytes));
        if (out.length > 0) await this.#write(out);
        if (limiter?.done === true) break;
      }
    } catch (error) {
      if (error instanceof ConnectionGone) throw error;
      this.#log.error(
        { err: error, uid: entry.uid, octets },
        'pop3 message stream failed, closing connection',
      );
      this.#endAs('message-failed');
      this.#closing = true;
      this.#socket.destroy();
      throw new ConnectionGone();
    } finally {
      destroyStream(source);
    }
    if (limiter === null && octets !== entry.size) {
      this.#log.warn({ uid: entry.uid, expected: entry.size, actual: octets }, 'pop3 message size differs');
    }
    await this.#writeFlushed(stuffer.end());
    this.#messagesSent++;
    this.#octetsSent += octets;
    return true;
  }

  // ---- output -------------------------------------------------------------------------------

  /** Writes one reply (a line, or a complete multi-line response when `addCrlf` is false). */
  #send(reply: string, addCrlf = true): Promise<void> {
    return this.#write(addCrlf ? `${reply}\r\n` : reply);
  }

  async #write(data: string | Buffer): Promise<void> {
    const socket = this.#socket;
    if (this.#socketClosed || socket.destroyed || socket.writableEnded) throw new ConnectionGone();
    if (!socket.write(data)) await this.#drained();
  }

  /** Waits for 'drain'; a peer that does not read for idleTimeoutMs is disconnected. */
  #drained(): Promise<void> {
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const stalled = setTimeout(() => {
        cleanup();
        this.#stalled();
        reject(new ConnectionGone());
      }, this.#options.idleTimeoutMs);
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

  /** Writes and waits until the bytes were handed to the OS (the end of a RETR). */
  #writeFlushed(data: Buffer): Promise<void> {
    const socket = this.#socket;
    if (this.#socketClosed || socket.destroyed || socket.writableEnded) {
      return Promise.reject(new ConnectionGone());
    }
    return new Promise((resolve, reject) => {
      const stalled = setTimeout(() => {
        cleanup();
        this.#stalled();
        reject(new ConnectionGone());
      }, this.#options.idleTimeoutMs);
      const onClose = (): void => {
        cleanup();
        reject(new ConnectionGone());
      };
      const cleanup = (): void => {
        clearTimeout(stalled);
        socket.off('close', onClose);
      };
      socket.on('close', onClose);
      socket.write(data, (error) => {
        cleanup();
        if (error) reject(new ConnectionGone());
        else resolve();
      });
    });
  }

  #stalled(): void {
    this.#log.info('pop3 client stopped reading, closing connection');
    this.#endAs('write-stalled');
    this.#closing = true;
    this.#socket.destroy();
  }

  // ---- timers and the end ---------------------------------------------------------------

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
    this.#log.info('pop3 autologout');
    this.#endAs('autologout');
    this.#closing = true;
    if (!this.#socket.destroyed && !this.#socket.writableEnded)
      this.#socket.write(`${replies.autologout}\r\n`);
    this.#closeConnection();
  }

  /** Ends the connection after the queued output; destroys it if the peer does not close. */
  #closeConnection(): void {
    this.#closing = true;
    this.#queue.length = 0;
    this.#clearIdle();
    const socket = this.#socket;
    if (socket.destroyed) return;
    socket.end();
    this.#closeTimer ??= setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    this.#closeTimer.unref();
  }

  #endAs(end: Pop3SessionEnd): void {
    this.#end ??= end;
  }

  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearIdle();
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    const lease = this.#lease;
    this.#lease = null;
    if (lease !== null) {
      try {
        await lease.release();
      } catch (error) {
        this.#log.error({ err: error }, 'pop3 release hook failed');
      }
    }
    this.#log.info(
      {
        end: this.#end ?? 'dropped',
        commands: this.#commandCounts,
        badCommands: this.#badCommands,
        authFailures: this.#authFailures,
        messagesSent: this.#messagesSent,
        octetsSent: this.#octetsSent,
      },
      'pop3 session ended',
    );
    this.#resolveDone();
  }
}

function summary(state: TransactionState): { count: number; octets: number } {
  let count = 0;
  let octets = 0;
  for (const [, entry] of visible(state)) {
    count++;
    octets += entry.size;
  }
  return { count, octets };
}

/** The messages not marked as deleted, with their message numbers. */
function visible(state: TransactionState): [number, Pop3MaildropEntry][] {
  const result: [number, Pop3MaildropEntry][] = [];
  state.maildrop.entries.forEach((entry, index) => {
    if (!state.deleted.has(index + 1)) result.push([index + 1, entry]);
  });
  return result;
}

function lookup(
  state: TransactionState,
  msg: number,
): { ok: true; entry: Pop3MaildropEntry } | { ok: false; reply: string } {
  const entry = state.maildrop.entries[msg - 1];
  if (msg < 1 || entry === undefined) return { ok: false, reply: replies.noSuchMessage };
  if (state.deleted.has(msg)) return { ok: false, reply: replies.alreadyDeleted(msg) };
  return { ok: true, entry };
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  const destroy: unknown = (stream as { destroy?: unknown }).destroy;
  if (typeof destroy === 'function') (destroy as () => void).call(stream);
}
