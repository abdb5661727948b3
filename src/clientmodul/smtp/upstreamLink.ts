import type { UpstreamTlsOptions } from '../upstream/connect.js';
import { UpstreamError } from '../upstream/errors.js';
import { SmtpClient } from '../upstream/smtpClient.js';
import type { SmtpReply as UpstreamReply } from '../upstream/smtpReply.js';
import type { UpstreamEndpoint } from '../username.js';
import { replies } from './replies.js';
import type { SmtpReply } from './replies.js';

export interface UpstreamLinkOptions {
  readonly endpoint: UpstreamEndpoint;
  readonly tls: UpstreamTlsOptions;
  readonly timeoutMs: number;
  readonly clientName: string;
  /** The plain KIM address: the Fachdienst login (KOM-LE-A_2161). */
  readonly address: string;
  readonly password: string;
}

export type LoginOutcome = { readonly ok: true } | { readonly ok: false; readonly reply: SmtpReply };

/** The Fachdienst refused the login when the proxy reconnected; carries the reply for the client. */
export class UpstreamLoginRefused extends Error {
  override readonly name = 'UpstreamLoginRefused';
  constructor(readonly reply: SmtpReply) {
    super(reply.message);
  }
}

/**
 * The Fachdienst connection of one client session: opened and authenticated when the client
 * logs in (the Fachdienst's answer decides the login), kept for every message of the session,
 * and opened again with the same credentials when it dropped in between (the Fachdienst closes
 * idle connections). The password lives only in memory, for the session's lifetime.
 */
export class UpstreamLink {
  readonly #options: UpstreamLinkOptions;
  #client: SmtpClient | null = null;

  constructor(options: UpstreamLinkOptions) {
    this.#options = options;
  }

  /** The first login, on the client's AUTH: maps the outcome to the reply for the client. */
  async login(): Promise<LoginOutcome> {
    let client: SmtpClient;
    try {
      client = await this.#connect();
    } catch (error) {
      if (error instanceof UpstreamError) return { ok: false, reply: replies.upstreamUnavailable() };
      throw error;
    }
    let reply: UpstreamReply;
    try {
      reply = await client.authenticate(this.#options.address, this.#options.password);
    } catch (error) {
      client.destroy();
      if (error instanceof UpstreamError) return { ok: false, reply: replies.upstreamUnavailable() };
      throw error;
    }
    if (reply.code === 235) {
      this.#client = client;
      return { ok: true };
    }
    await client.quit();
    return { ok: false, reply: reply.code >= 500 ? replies.authRejected() : replies.upstreamUnavailable() };
  }

  /**
   * The connection for the next transaction; `reused` tells whether it has been used before (it
   * may have been closed by the Fachdienst without us having noticed yet). Throws UpstreamError
   * or {@link UpstreamLoginRefused}.
   */
  async acquire(): Promise<{ client: SmtpClient; reused: boolean }> {
    if (this.#client?.isOpen === true) return { client: this.#client, reused: true };
    this.#client = null;
    const client = await this.#connect();
    const reply = await client.authenticate(this.#options.address, this.#options.password);
    if (reply.code !== 235) {
      await client.quit();
      throw new UpstreamLoginRefused(replies.upstreamLoginRefused(reply));
    }
    this.#client = client;
    return { client, reused: false };
  }

  /**
   * RSET on the open connection, if there is one (KOM-LE-A_2025: a refused message ends with
   * RSET to the MTA). A connection that fails it is dropped; the next transaction reconnects.
   */
  async reset(): Promise<void> {
    const client = this.#client;
    if (client?.isOpen !== true) return;
    try {
      const reply = await client.command('RSET');
      if (reply.code !== 250) this.drop();
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.drop();
    }
  }

  /** Forgets the connection (after an error that left it in an unknown state). */
  drop(): void {
    this.#client?.destroy();
    this.#client = null;
  }

  /** QUIT at the end of the client session. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    await client?.quit();
  }

  #connect(): Promise<SmtpClient> {
    return SmtpClient.connect({
      endpoint: this.#options.endpoint,
      tls: this.#options.tls,
      timeoutMs: this.#options.timeoutMs,
      clientName: this.#options.clientName,
    });
  }
}
