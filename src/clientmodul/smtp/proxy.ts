import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { TLS_CIPHERS } from '../../../adapters/tls/index.js';
import { removeGreetingDelay } from '../../mail/smtp/greeting.js';
import { guardTlsGetProtocol } from '../../mail/smtp/tlsProtocolGuard.js';
import { useOwnSizeRefusal } from '../../mail/smtp/sizeRefusal.js';
import type { Logger } from '../../logging/logger.js';
import type { OutgoingMailProcessor } from '../ports.js';
import type { UpstreamTlsOptions } from '../upstream/connect.js';
import { parseClientUsername, UsernameError } from '../username.js';
import type { ClientUsername, UpstreamEndpoint } from '../username.js';
import { useOwnEnhancedCodes } from './enhancedCodes.js';
import { relayMessage } from './relayMessage.js';
import { replies, SmtpReply } from './replies.js';
import { UpstreamLink } from './upstreamLink.js';

export interface SmtpProxyOptions {
  /** Listen address; default 127.0.0.1 (the mail programs of the practice run next to it). */
  readonly host?: string;
  /** Listen port; 0 picks a free one. */
  readonly port: number;
  /** The proxy's server certificate towards the mail program (implicit TLS). */
  readonly tls: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The default Fachdienst (SMTPS); a `host:port` in the client username wins over it. */
  readonly upstream: UpstreamEndpoint & UpstreamTlsOptions;
  readonly processor: OutgoingMailProcessor;
  readonly logger: Logger;
  /** Name in the greeting and EHLO; default the machine's host name. */
  readonly hostname?: string;
  /** Largest client mail accepted, in octets, announced as SIZE; default {@link DEFAULT_MAX_CLIENT_MAIL_SIZE}. */
  readonly maxMailSize?: number;
  /** The account's `maxMailSize` (AccountLimit `getLimits`), handed to the message pipeline when known. */
  readonly accountMaxMailSize?: number;
  /** SMTP_TIMEOUT_CLIENT: idle time before the proxy closes a client session; default 5 min. */
  readonly clientTimeoutMs?: number;
  /** SMTP_TIMEOUT_SERVER: longest wait for the Fachdienst; default 5 min. */
  readonly upstreamTimeoutMs?: number;
  /** RCPT TO per message; default 500. */
  readonly maxRecipients?: number;
  /** Failed logins after which the connection is closed (421); default 3. */
  readonly maxAuthFailures?: number;
  readonly maxClients?: number;
  readonly now?: () => Date;
}

export interface RunningSmtpProxy {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * KIM clients must announce SIZE ≥ 35,882,577 (Tab_SMTP_Ant_Init: a 25 MB net client mail after
 * base64); 36 MiB matches the Fachdienst's default limit.
 */
export const DEFAULT_MAX_CLIENT_MAIL_SIZE = 36 * 1024 * 1024;
const FIVE_MINUTES = 5 * 60_000;

interface SessionState {
  authFailures: number;
  username: ClientUsername | null;
  link: UpstreamLink | null;
  /** A message is being processed; the link must not be closed under it. */
  busy: boolean;
  closed: boolean;
}

/**
 * The Clientmodul's SMTP proxy (kim-domain §7.2): the mail program submits over implicit TLS
 * with AUTH PLAIN/LOGIN and a client username; the proxy logs in to the Fachdienst with the plain
 * address and the same password when the client authenticates (the Fachdienst's answer decides),
 * answers MAIL and RCPT itself, and replays them to the Fachdienst only after the message went
 * through the KIM message pipeline (§11 item 9).
 */
export async function startSmtpProxy(options: SmtpProxyOptions): Promise<RunningSmtpProxy> {
  guardTlsGetProtocol();
  removeGreetingDelay();
  useOwnSizeRefusal();
  const log = options.logger.child({ component: 'cm-smtp' });
  const hostname = options.hostname ?? osHostname();
  const maxMailSize = options.maxMailSize ?? DEFAULT_MAX_CLIENT_MAIL_SIZE;
  const maxAuthFailures = options.maxAuthFailures ?? 3;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? FIVE_MINUTES;
  const { host: defaultHost, port: defaultPort, ...upstreamTls } = options.upstream;
  const sessions = new WeakMap<SMTPServerSession, SessionState>();
  const stateOf = (session: SMTPServerSession): SessionState => {
    let state = sessions.get(session);
    if (state === undefined) {
      state = { authFailures: 0, username: null, link: null, busy: false, closed: false };
      sessions.set(session, state);
    }
    return state;
  };

  const server = new SMTPServer({
    secure: true,
    key: options.tls.key,
    cert: options.tls.cert,
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    name: hostname,
    banner: 'KIM Clientmodul',
    size: maxMailSize,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    authRequiredMessage: replies.authRequired().message,
    // Tab_SMTP_Ant_Init: SIZE, AUTH LOGIN PLAIN, 8BITMIME, ENHANCEDSTATUSCODES, DSN.
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    hidePIPELINING: true,
    hideSMTPUTF8: true,
    hideREQUIRETLS: true,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS'],
    maxRecipients: options.maxRecipients ?? 500,
    disableReverseLookup: true,
    maxClients: options.maxClients ?? 200,
    socketTimeout: options.clientTimeoutMs ?? FIVE_MINUTES,
    closeTimeout: 5_000,
    logger: false,

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback) {
      const state = stateOf(session);
      const fail = (reply: SmtpReply): void => {
        state.authFailures += 1;
        log.info(
          { session: session.id, failures: state.authFailures, code: reply.responseCode },
          'login refused',
        );
        callback(state.authFailures >= maxAuthFailures ? replies.tooManyAuthFailures() : reply);
      };
      let username: ClientUsername;
      try {
        username = parseClientUsername(auth.username ?? '', 'smtp');
      } catch (error) {
        if (error instanceof UsernameError) return fail(replies.usernameMalformed(error.message));
        throw error;
      }
      const endpoint = username.upstream ?? { host: defaultHost, port: defaultPort };
      const link = new UpstreamLink({
        endpoint,
        tls: upstreamTls,
        timeoutMs: upstreamTimeoutMs,
        clientName: hostname,
        address: username.address,
        password: auth.password ?? '',
      });
      link.login().then(
        (outcome) => {
          if (!outcome.ok) return fail(outcome.reply);
          if (state.closed) return void link.close();
          state.link = link;
          state.username = username;
          log.info({ session: session.id, upstream: `${endpoint.host}:${endpoint.port}` }, 'logged in');
          callback(null, { user: username.address });
        },
        (error: unknown) => {
          log.error({ err: error, session: session.id }, 'login at the Fachdienst failed');
          fail(replies.upstreamUnavailable());
        },
      );
    },

    onMailFrom(address, session, callback) {
      const username = stateOf(session).username;
      // A_23421 (checked by the Fachdienst too): the envelope sender is the login address.
      if (username === null || address.address.toLowerCase() !== username.address.toLowerCase()) {
        return callback(replies.senderNotUser());
      }
      callback();
    },

    // RCPT TO is answered here and replayed after DATA (§7.2 step 2, FAQ).
    onRcptTo(_address, _session, callback) {
      callback();
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const state = stateOf(session);
      const link = state.link;
      const mailFrom = session.envelope.mailFrom;
      if (link === null || mailFrom === false) {
        stream.resume();
        return callback(replies.authRequired());
      }
      state.busy = true;
      relayMessage({
        stream,
        envelope: { ...session.envelope, mailFrom },
        link,
        processor: options.processor,
        maxMailSize,
        accountMaxMailSize: options.accountMaxMailSize,
        hostname,
        now: options.now ?? (() => new Date()),
        log: log.child({ session: session.id }),
      })
        .then(
          (text) => callback(null, text),
          (error: unknown) => {
            if (error instanceof SmtpReply) return callback(error);
            log.error({ err: error, session: session.id }, 'message processing failed');
            callback(replies.processingFailed());
          },
        )
        .finally(() => {
          state.busy = false;
          if (state.closed) void link.close();
        });
    },

    onClose(session: SMTPServerSession) {
      const state = sessions.get(session);
      if (state === undefined) return;
      state.closed = true;
      if (!state.busy) void state.link?.close();
    },
  });
  useOwnEnhancedCodes(server);
  server.on('error', (error) => log.error({ err: error }, 'smtp proxy error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port }, 'smtp proxy listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
