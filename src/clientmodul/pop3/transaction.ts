import { parseCommand } from '../../mail/pop3/commands.js';
import { DotStuffer } from '../../mail/pop3/dotStuff.js';
import type { Logger } from '../../logging/logger.js';
import type { IncomingMailProcessor, MessageBytes } from '../ports.js';
import { UpstreamError } from '../upstream/errors.js';
import type { Pop3Client } from '../upstream/pop3Client.js';
import type { ClientUsername } from '../username.js';
import { replies } from './replies.js';
import { TopHeaderFilter } from './topFilter.js';

/** Where the answers for the mail program go (with backpressure). */
export interface ClientOutput {
  /** One line; CRLF is added. */
  send(line: string): Promise<void>;
  write(data: Buffer): Promise<void>;
}

export interface TransactionDeps {
  readonly processor: IncomingMailProcessor;
  /** Largest message RETR holds in memory for the message pipeline. */
  readonly maxMessageSize: number;
  readonly output: ClientOutput;
  readonly log: Logger;
}

/**
 * The TRANSACTION state of a proxied POP3 session (kim-domain §7.3): every command goes to the
 * Fachdienst unchanged and its answer comes back, except RETR (the message goes through the
 * message pipeline) and TOP (k forced to 0). Throws UpstreamError when the Fachdienst connection
 * fails; {@link midAnswer} then tells whether a multi-line answer was cut off.
 */
export class ProxiedTransaction {
  /** A multi-line answer has been started and not finished. */
  midAnswer = false;

  constructor(
    readonly upstream: Pop3Client,
    readonly username: ClientUsername,
    private readonly deps: TransactionDeps,
  ) {}

  /** Runs one command line; 'quit' after the client's QUIT was relayed. */
  async handle(line: string): Promise<'continue' | 'quit'> {
    const parsed = parseCommand(line);
    const command = parsed.ok ? parsed.command : null;
    switch (command?.name) {
      case 'RETR':
        await this.#retr(command.msg);
        break;
      case 'TOP':
        await this.#top(command.msg);
        break;
      case 'QUIT':
        // The Fachdienst enters UPDATE and commits the deletions; it then closes its side.
        await this.#relay(line, false);
        return 'quit';
      case 'CAPA':
        await this.#relay(line, true);
        break;
      case 'LIST':
      case 'UIDL':
        await this.#relay(line, command.msg === null);
        break;
      default:
        // STAT, DELE, NOOP, RSET, LIST n, UIDL n, and whatever the Fachdienst may know beyond
        // that: one status line. LIST/STAT sizes are the Fachdienst's, i.e. of the encrypted
        // message; the decrypted one RETR returns differs. KIM prescribes passing them through
        // unchanged (§7.3).
        await this.#relay(line, false);
    }
    return 'continue';
  }

  /** Passes a command on and relays the answer; a multi-line answer streams through as it is. */
  async #relay(line: string, multiLine: boolean): Promise<void> {
    const status = await this.upstream.command(line);
    await this.deps.output.send(status.line);
    if (!status.ok || !multiLine) return;
    this.midAnswer = true;
    await this.upstream.relayMultiline((chunk) => this.deps.output.write(chunk));
    this.midAnswer = false;
  }

  /** KOM-LE-A_2041: TOP n k goes on as TOP n 0 (only the outer header of the KIM message). */
  async #top(msg: number): Promise<void> {
    const status = await this.upstream.command(`TOP ${msg} 0`);
    await this.deps.output.send(status.line);
    if (!status.ok) return;
    this.midAnswer = true;
    const filter = new TopHeaderFilter();
    await this.upstream.relayMultiline(async (chunk) => {
      const out = filter.push(chunk);
      if (out.length > 0) await this.deps.output.write(out);
    });
    this.midAnswer = false;
  }

  /**
   * RETR (§7.3 PROCESS): the whole message from the Fachdienst, through the message pipeline,
   * then to the client dot-stuffed. If the pipeline fails the client gets -ERR and may retry;
   * the Fachdienst answer was read completely, so the session stays usable.
   */
  async #retr(msg: number): Promise<void> {
    const { output, log, maxMessageSize } = this.deps;
    const status = await this.upstream.command(`RETR ${msg}`);
    if (!status.ok) return output.send(status.line);
    let message: Buffer[];
    try {
      message = await this.upstream.readMessage(maxMessageSize);
    } catch (error) {
      if (!(error instanceof UpstreamError) || error.code !== 'TOO_LARGE') throw error;
      log.warn({ msg, limit: maxMessageSize }, 'message too large for the proxy');
      return output.send(replies.messageTooLarge);
    }
    let opened: MessageBytes;
    try {
      opened = await this.deps.processor.open({ message, ownAddress: this.username.address });
    } catch (error) {
      log.warn({ err: error, msg }, 'opening a message failed');
      return output.send(replies.openFailed);
    }
    const octets = opened.reduce((sum, chunk) => sum + chunk.length, 0);
    await output.send(`+OK ${octets} octets`);
    this.midAnswer = true;
    const stuffer = new DotStuffer();
    for (const chunk of opened) {
      const out = stuffer.push(chunk);
      if (out.length > 0) await output.write(out);
    }
    await output.write(stuffer.end());
    this.midAnswer = false;
  }
}
