import { SmtpReply, tooBig } from '../../mail/smtp/smtpReply.js';

/**
 * Every SMTP refusal the Fachdienst gives, in one place: reply code, enhanced status code
 * (RFC 3463) and text. Handlers throw `SmtpReply`; smtp-server sends `responseCode` + message.
 */
export { SmtpReply };

export const replies = {
  authRequired: () => new SmtpReply(530, '5.7.0', 'Authentication required'),
  authInvalid: () => new SmtpReply(535, '5.7.8', 'Authentication credentials invalid'),
  authLocked: () => new SmtpReply(535, '5.7.8', 'Account not available for sending'),
  authThrottled: () => new SmtpReply(454, '4.7.0', 'Too many failed logins, try again later'),
  authUnavailable: () => new SmtpReply(454, '4.7.0', 'Temporary authentication failure'),
  tooManyAuthFailures: () => new SmtpReply(421, '4.7.0', 'Too many failed logins, closing connection'),
  senderNotAuthenticatedUser: () =>
    new SmtpReply(550, '5.7.1', 'Sender address must be the authenticated address'),
  senderNotAllowed: () => new SmtpReply(550, '5.7.1', 'Account may not send'),
  relayDenied: () => new SmtpReply(550, '5.7.1', 'Relaying denied: only KIM domains are served'),
  unknownRecipient: () => new SmtpReply(550, '5.1.1', 'No such user here'),
  recipientDisabled: () => new SmtpReply(550, '5.2.1', 'Mailbox disabled, not accepting messages'),
  tooManyRecipients: () => new SmtpReply(452, '4.5.3', 'Too many recipients'),
  originator: (reason: string) => new SmtpReply(550, '5.7.1', `Message refused: ${reason}`),
  headerTooLarge: () => new SmtpReply(552, '5.3.4', 'Message header too large'),
  tooBig,
  tooManyConnections: () =>
    new SmtpReply(421, '4.7.0', 'Too many connections from your address, try again later'),
  busy: () => new SmtpReply(451, '4.3.2', 'Too many messages in progress, try again later'),
  storageFailed: () => new SmtpReply(451, '4.3.0', 'Message could not be stored, try again later'),
} as const;
