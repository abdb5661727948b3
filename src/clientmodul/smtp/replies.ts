import { SmtpReply, tooBig } from '../../mail/smtp/smtpReply.js';
import type { UpstreamError } from '../upstream/errors.js';
import type { SmtpReply as UpstreamReply } from '../upstream/smtpReply.js';

export { SmtpReply };

/**
 * Every reply of the SMTP proxy that is not a plain 250, in one place (kim-domain §7.2
 * Tab_SMTP_Ant_Init / Tab_SMTP_Verbindung, §7.5). Texts start with the enhanced status code;
 * `enhancedCodes.ts` keeps smtp-server from adding a second one.
 */
export const replies = {
  authRequired: () => new SmtpReply(530, '5.7.0', 'Authentication required'),
  /** Tab_SMTP_Verbindung: incomplete or malformed username. */
  usernameMalformed: (reason: string) => new SmtpReply(501, '5.5.4', reason),
  /** Tab_SMTP_Verbindung: the Fachdienst rejected the credentials. */
  authRejected: () => new SmtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  /** Tab_SMTP_Verbindung: the Fachdienst cannot be reached (or refuses for now). */
  upstreamUnavailable: () => new SmtpReply(454, '4.7.0', 'Fachdienst not reachable, try again later'),
  tooManyAuthFailures: () => new SmtpReply(421, '4.7.0', 'Too many failed logins, closing connection'),
  /** A_23421: MAIL FROM must be the address the client logged in with. */
  senderNotUser: () => new SmtpReply(550, '5.7.1', 'Sender address must be the address of the login'),
  tooBig,
  /** The KIM message pipeline failed unexpectedly (KOM-LE-A_2021: 451, the client retries). */
  processingFailed: () => new SmtpReply(451, '4.3.0', 'Message could not be processed, try again later'),
  noRecipientLeft: () => new SmtpReply(451, '4.3.0', 'No recipient left to send to'),
  /** KOM-LE-A_2016: the Fachdienst did not answer in time; the proxy closes the session. */
  upstreamTimeout: () => new SmtpReply(421, '4.4.2', 'Fachdienst did not answer in time, closing connection'),
  upstreamFailed: (error: UpstreamError) =>
    error.code === 'UNREACHABLE' || error.code === 'TLS'
      ? new SmtpReply(451, '4.4.1', 'Fachdienst not reachable, message not sent, try again later')
      : new SmtpReply(451, '4.4.2', 'Connection to the Fachdienst failed, message not sent, try again later'),
  /** The Fachdienst no longer accepts the credentials when the proxy logs in again. */
  upstreamLoginRefused: (reply: UpstreamReply) =>
    reply.code >= 500
      ? new SmtpReply(554, '5.7.8', 'Fachdienst refused the login, message not sent')
      : new SmtpReply(
          451,
          '4.7.0',
          'Fachdienst refused the login for now, message not sent, try again later',
        ),
  /**
   * A refusal of the Fachdienst passed on with the same class and code; 421 (it closes) becomes
   * 451, since the proxy keeps the client's session.
   */
  fromUpstream: (reply: UpstreamReply) => {
    if (reply.code === 421) return new SmtpReply(451, reply.enhanced ?? '4.4.2', `Fachdienst: ${reply.text}`);
    if (reply.code < 400 || reply.code >= 600) {
      return new SmtpReply(451, '4.4.0', `Fachdienst answered unexpectedly: ${reply.code} ${reply.text}`);
    }
    return new SmtpReply(
      reply.code,
      reply.enhanced ?? `${Math.floor(reply.code / 100)}.0.0`,
      `Fachdienst: ${reply.text}`,
    );
  },
} as const;
