import type { AddressInfo } from 'node:net';
import PQueue from 'p-queue';
import { SMTPServer } from 'smtp-server';
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { Recipient, Ret } from '../../../domain/submission/index.js';
import type { Logger } from '../../logging/logger.js';
import { AccountDirectory } from '../accounts/accountDirectory.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { MessageAcceptance } from './acceptance.js';
import { notifyOf } from './acceptance.js';
import { useFastDataScan } from '../../mail/smtp/fastDataScan.js';
import { removeGreetingDelay } from '../../mail/smtp/greeting.js';
import { guardTlsGetProtocol } from '../../mail/smtp/tlsProtocolGuard.js';
import { TLS_CIPHERS } from '../../../adapters/tls/index.js';
import type { Routing } from '../routing.js';
import { replies, SmtpReply } from './replies.js';
import { useOwnSizeRefusal } from '../../mail/smtp/sizeRefusal.js';

export interface SmtpServerOptions {
  readonly tls: {
    readonly key: Buffer | string;
    readonly cert: Buffer | string;
    readonly ca?: Buffer | string;
  };
  readonly hostname: string;
  /** Which recipients are ours, another KIM provider's, or refused. */
  readonly routing: Routing;
  readonly maxMessageSize: number;
  readonly dataConcurrency: number;
  readonly dataQueueWaitMs: number;
  readonly maxRecipients?: number;
  /** Connections one client address may hold open at once. */
  readonly maxConnectionsPerIp?: number;
  /** Failed AUTH attempts after which the connection is closed. */
  readonly maxAuthFailuresPerConnection?: number;
  readonly authenticator: Authenticator;
  readonly directory: AccountDirectory;
  readonly acceptance: MessageAcceptance;
  readonly log: Logger;
}

interface SessionState {
  authFailures: number;
  address?: string;
}

export interface RunningSmtpServer {
  readonly port: number;
  /** Messages in the DATA pipeline now, and waiting for a place. */
  readonly pipeline: { readonly running: number; readonly waiting: number };
  close(): Promise<void>;
}

/**
 * SMTPS submission for registered accounts only (implicit TLS, AUTH PLAIN/LOGIN). Every refusal
 * comes from `replies`. Nothing is relayed to or accepted from outside the KIM domains.
 */
export async function startSmtpServer(
  options: SmtpServerOptions,
  listen: { port: number; host: string },
): Promise<RunningSmtpServer> {
  guardTlsGetProtocol();
  removeGreetingDelay();
  useOwnSizeRefusal();
  useFastDataScan();
  const { log } = options;
  const maxRecipients = options.maxRecipients ?? 500;
  const maxAuthFailures = options.maxAuthFailuresPerConnection ?? 3;
  const queue = new PQueue({ concurrency: options.dataConcurrency });
  const perIp = new Map<string, number>();
  const maxPerIp = options.maxConnectionsPerIp ?? 100;
  const sessions = new WeakMap<SMTPServerSession, SessionState>();
  const stateOf = (session: SMTPServerSession): SessionState => {
    let state = sessions.get(session);
    if (state === undefined) {
      state = { authFailures: 0 };
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
    honorCipherOrder: true,
    name: options.hostname,
    banner: 'KIM Fachdienst ESMTP',
    size: options.maxMessageSize,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    // smtp-server's default text has no enhanced status code (RFC 4954 §6: 530 5.7.0).
    authRequiredMessage: replies.authRequired().message,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS'],
    hideDSN: false,
    // Reverse lookups would stall every greeting on a network without DNS for clients.
    disableReverseLookup: true,
    maxClients: 1000,
    socketTimeout: 5 * 60_000,
    closeTimeout: 30_000,
    logger: false,

    onConnect(session: SMTPServerSession, callback) {
      // One client address must not be able to take every connection slot.
      const open = (perIp.get(session.remoteAddress) ?? 0) + 1;
      perIp.set(session.remoteAddress, open);
      if (open > maxPerIp) return callback(replies.tooManyConnections());
      callback();
    },

    onClose(session: SMTPServerSession) {
      const open = (perIp.get(session.remoteAddress) ?? 1) - 1;
      if (open <= 0) perIp.delete(session.remoteAddress);
      else perIp.set(session.remoteAddress, open);
    },

    onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback) {
      const state = stateOf(session);
      void options.authenticator
        .authenticate(auth.username ?? '', auth.password ?? '', session.remoteAddress, 'send')
        .then((outcome) => {
          if (outcome.ok) {
            state.address = outcome.account.address;
            callback(null, { user: outcome.account.address });
            return;
          }
          state.authFailures += 1;
          log.info(
            { session: session.id, remote: session.remoteAddress, reason: outcome.reason },
            'smtp auth failed',
          );
          if (state.authFailures >= maxAuthFailures) return callback(replies.tooManyAuthFailures());
          const reply =
            outcome.reason === 'invalid'
              ? replies.authInvalid()
              : outcome.reason === 'locked'
                ? replies.authLocked()
                : outcome.reason === 'throttled'
                  ? replies.authThrottled()
                  : replies.authUnavailable();
          callback(reply);
        })
        .catch((error: unknown) => {
          log.error({ err: error, session: session.id }, 'smtp auth error');
          callback(replies.authUnavailable());
        });
    },

    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      const state = stateOf(session);
      const user = state.address;
      // A_23421: the envelope sender is the authenticated address, compared case-insensitively.
      if (user === undefined || address.address.toLowerCase() !== user.toLowerCase()) {
        return callback(replies.senderNotAuthenticatedUser());
      }
      // The account may have been locked or deregistered since it logged in.
      const account = options.directory.findByAddress(user);
      if (account?.status !== 'active') return callback(replies.senderNotAllowed());
      callback();
    },

    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(replies.tooManyRecipients());
      const route = options.routing.route(address.address);
      if (route === 'local') {
        const account = options.directory.findByAddress(address.address);
        if (account === null || account.status === 'pending') return callback(replies.unknownRecipient());
        if (!AccountDirectory.canReceive(account)) return callback(replies.recipientDisabled());
        return callback();
      }
      if (route === 'provider') return callback();
      callback(replies.relayDenied());
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const state = stateOf(session);
      const mailFrom = session.envelope.mailFrom;
      if (state.address === undefined || mailFrom === false) {
        stream.resume();
        return callback(replies.senderNotAuthenticatedUser());
      }
      // Admission control: a bounded number of messages in the pipeline, a bounded wait for a
      // place. While a message waits its stream is not read, so TCP holds the client back.
      if (queue.size >= options.dataConcurrency * 2) {
        stream.resume();
        return callback(replies.busy());
      }
      const waited = new AbortController();
      const timer = setTimeout(() => waited.abort(), options.dataQueueWaitMs);
      const recipients: Recipient[] = session.envelope.rcptTo.map((rcpt) => {
        const notify = notifyOf(rcpt.dsn?.notify);
        return {
          address: rcpt.address,
          ...(notify === undefined ? {} : { notify }),
          ...(rcpt.dsn?.orcpt === undefined ? {} : { orcpt: rcpt.dsn.orcpt }),
        };
      });
      const dsn = session.envelope.dsn;
      const ret: Ret | undefined = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : undefined;
      const socket = (session as SMTPServerSession & { tlsOptions?: { version?: string } }).tlsOptions;
      queue
        .add(
          () => {
            clearTimeout(timer);
            return options.acceptance.accept({
              body: stream,
              mailFrom: mailFrom.address,
              recipients,
              envelopeId: dsn?.envid ?? undefined,
              ret,
              authUser: state.address ?? '',
              client: {
                address: session.remoteAddress,
                helo: session.hostNameAppearsAs,
                tlsProtocol: socket?.version,
              },
            });
          },
          { signal: waited.signal },
        )
        .then(
          (result) => callback(null, `2.0.0 Ok: queued as ${result.submissionId}`),
          (error: unknown) => {
            clearTimeout(timer);
            if (waited.signal.aborted && !(error instanceof SmtpReply)) {
              stream.resume();
              return callback(replies.busy());
            }
            if (error instanceof SmtpReply) return callback(error);
            log.error({ err: error, session: session.id }, 'smtp data failed');
            callback(replies.storageFailed());
          },
        );
    },
  });
  server.on('error', (error) => log.error({ err: error }, 'smtp server error'));

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  log.info({ port, host: listen.host }, 'smtp listening');
  return {
    port,
    get pipeline() {
      return { running: queue.pending, waiting: queue.size };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
