import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../../logging/logger.js';
import { parseCommand } from '../../mail/pop3/commands.js';
import type { Pop3Command, Pop3CommandName } from '../../mail/pop3/commands.js';
import { DotStuffer } from '../../mail/pop3/dotStuff.js';
import type {
  Pop3Account,
  Pop3AuthResult,
  Pop3Hooks,
  Pop3Maildrop,
  Pop3MaildropEntry,
  Pop3OpenResult,
} from './hooks.js';
import { ConnectionGone, Pop3Connection } from '../../mail/pop3/connection.js';
import type { InputLine } from '../../mail/pop3/lineReader.js';
import { multiline } from '../../mail/pop3/multiline.js';
import { AUTH_FAILURE_REPLIES, OPEN_FAILURE_REPLIES, capabilities, replies } from './replies.js';
import { decodeSaslPlain } from '../../mail/pop3/saslPlain.js';
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

/**
 * One POP3 connection: reads lines, runs commands strictly one after the other (so pipelined
 * commands are answered in order and a multi-line response is complete before the next command
 * starts), and always releases an opened maildrop exactly once, however the connection ends.
 * Deletions are only committed in UPDATE state after QUIT.
 */
export class Pop3Session {
  readonly id: string = randomUUID();
  readonly #connection: Pop3Connection;
  readonly #options: Pop3SessionOptions;
  readonly #log: Logger;
  readonly #commandCounts: Partial<Record<Pop3CommandName | 'UNKNOWN' | 'LINE', number>> = {};
  #state: Pop3SessionState = { kind: 'authorization', user: null, awaitingSaslResponse: false };
  /** The opened maildrop, to be released when the session ends. */
  #lease: Pop3Maildrop | null = null;
  #end: Pop3SessionEnd | null = null;
  #badCommands = 0;
  #authFailures = 0;
  #messagesSent = 0;
  #octetsSent = 0;

  constructor(socket: Socket, options: Pop3SessionOptions) {
    this.#options = options;
    this.#log = options.logger.child({
      sessionId: this.id,
      remoteAddress: socket.remoteAddress ?? 'unknown',
    });
    socket.on('error', (error: Error) => this.#log.debug({ err: error }, 'pop3 socket error'));
    this.#connection = new Pop3Connection(
      socket,
      { maxLineOctets: MAX_SASL_RESPONSE_OCTETS, idleTimeoutMs: options.idleTimeoutMs },
      {
        line: (line) => this.#handle(line),
        idle: () => {
          this.#log.info('pop3 autologout');
          this.#endAs('autologout');
          return replies.autologout;
        },
        stalled: () => {
          this.#log.info('pop3 client stopped reading, closing connection');
          this.#endAs('write-stalled');
        },
        failed: (error) => {
          this.#log.error({ err: error }, 'pop3 session failed');
          this.#endAs('failed');
        },
        inputEnded: () => this.#endAs('client-closed'),
        socketClosed: () => this.#endAs('dropped'),
        finished: () => this.#finish(),
      },
    );
  }

  /** Resolves once the connection is closed and an opened maildrop was released. */
  get done(): Promise<void> {
    return this.#connection.done;
  }

  get state(): Pop3SessionState['kind'] {
    return this.#state.kind;
  }

  start(): void {
    this.#log.debug('pop3 session started');
    this.#connection.start(replies.greeting(this.#options.hostname));
  }

  /** Ends the session at once (server shutdown). Nothing is deleted. */
  shutdown(): void {
    this.#endAs('shutdown');
    this.#connection.destroy();
  }

  // ---- the command loop -----------------------------------------------------------------

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
      this.#connection.stopReading();
      await this.#send(replies.tooManyBadCommands);
      this.#connection.close();
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
        this.#connection.stopReading();
        await this.#send(replies.signOff(this.#options.hostname, null));
        this.#connection.close();
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
      auth = await this.#options.hooks.authenticate(user, password, this.#connection.remoteAddress);
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
      this.#connection.stopReading();
      await this.#send(AUTH_FAILURE_REPLIES[reason]);
      this.#connection.close();
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
    this.#connection.stopReading(); // commands pipelined after QUIT are not run
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
        this.#connection.close();
        return;
      }
    }
    await this.#send(replies.signOff(this.#options.hostname, entries.length - uids.length));
    this.#connection.close();
  }

  /**
   * RETR (bodyLines null) or TOP: sends the message dot-stuffed, whole or streamed. Returns true
   * once the terminating ".\r\n" was handed to the OS. A failing message stream after "+OK"
   * closes the connection: a multi-line response cannot be turned into an error.
   */
  async #sendMessage(
    maildrop: Pop3Maildrop,
    entry: Pop3MaildropEntry,
    bodyLines: number | null,
  ): Promise<boolean> {
    let source: NodeJS.ReadableStream | Buffer;
    try {
      source = await maildrop.open(entry.uid);
    } catch (error) {
      this.#log.error({ err: error, uid: entry.uid }, 'pop3 open message failed');
      await this.#send(replies.messageUnavailable);
      return false;
    }
    const status = bodyLines === null ? replies.retrFollows(entry.size) : replies.topFollows;
    const limiter = bodyLines === null ? null : new TopLimiter(bodyLines);
    const octets = Buffer.isBuffer(source)
      ? await this.#sendWhole(status, source, limiter)
      : await this.#sendStream(status, source, limiter, entry.uid);
    if (limiter === null && octets !== entry.size) {
      this.#log.warn({ uid: entry.uid, expected: entry.size, actual: octets }, 'pop3 message size differs');
    }
    this.#messagesSent++;
    this.#octetsSent += octets;
    return true;
  }

  /**
   * A small message, held whole: status line, stuffed content and terminator in one write (one
   * run of TLS records, one syscall) instead of three. Returns the message's octets.
   */
  async #sendWhole(status: string, message: Buffer, limiter: TopLimiter | null): Promise<number> {
    const stuffer = new DotStuffer();
    const content = stuffer.push(limiter === null ? message : limiter.push(message));
    await this.#connection.writeFlushed(
      Buffer.concat([Buffer.from(`${status}\r\n`), content, stuffer.end()]),
    );
    return message.length;
  }

  /** Streams a message chunk by chunk, waiting for the socket to drain. Returns the octets read. */
  async #sendStream(
    status: string,
    source: NodeJS.ReadableStream,
    limiter: TopLimiter | null,
    uid: number,
  ): Promise<number> {
    const stuffer = new DotStuffer();
    let octets = 0;
    try {
      await this.#send(status);
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        octets += bytes.length;
        const out = stuffer.push(limiter === null ? bytes : limiter.push(bytes));
        if (out.length > 0) await this.#connection.write(out);
        if (limiter?.done === true) break;
      }
    } catch (error) {
      if (error instanceof ConnectionGone) throw error;
      this.#log.error({ err: error, uid, octets }, 'pop3 message stream failed, closing connection');
      this.#endAs('message-failed');
      this.#connection.destroy();
      throw new ConnectionGone();
    } finally {
      destroyStream(source);
    }
    await this.#connection.writeFlushed(stuffer.end());
    return octets;
  }

  // ---- output -------------------------------------------------------------------------------

  #send(reply: string, addCrlf = true): Promise<void> {
    return this.#connection.send(reply, addCrlf);
  }

  // ---- the end ----------------------------------------------------------------------------

  #endAs(end: Pop3SessionEnd): void {
    this.#end ??= end;
  }

  /** Once, when the connection has closed: release the maildrop, log how the session went. */
  async #finish(): Promise<void> {
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
