import type { Pop3CommandName } from '../../mail/pop3/commands.js';
import type { Pop3AuthResult, Pop3OpenResult } from './hooks.js';

/**
 * Every reply text of the server in one place. Lines are returned without CRLF; the session adds
 * line ends and dot-stuffs nothing here (no reply line can start with ".").
 *
 * Response codes: RFC 2449 (IN-USE, LOGIN-DELAY), RFC 3206 (SYS/TEMP, SYS/PERM, AUTH).
 */

type AuthFailure = Extract<Pop3AuthResult, { ok: false }>['reason'];
type OpenFailure = Extract<Pop3OpenResult, { ok: false }>['reason'];

export const AUTH_FAILURE_REPLIES: Readonly<Record<AuthFailure, string>> = {
  invalid: '-ERR [AUTH] Authentication failed',
  locked: '-ERR [AUTH] Account not available',
  throttled: '-ERR [SYS/TEMP] Too many failed logins, try later',
  unavailable: '-ERR [SYS/TEMP] Authentication temporarily unavailable, try later',
};

export const OPEN_FAILURE_REPLIES: Readonly<Record<OpenFailure, string>> = {
  'in-use': '-ERR [IN-USE] Maildrop is in use by another session',
  locked: '-ERR [SYS/PERM] Maildrop is locked',
  unavailable: '-ERR [SYS/TEMP] Maildrop temporarily unavailable, try later',
};

export const replies = {
  greeting: (hostname: string) => `+OK ${hostname} POP3 ready`,
  signOff: (hostname: string, left: number | null) =>
    left === null
      ? `+OK ${hostname} POP3 signing off`
      : `+OK ${hostname} POP3 signing off (${left} messages left)`,
  ok: '+OK',
  userAccepted: '+OK send PASS',
  saslContinue: '+ ',
  maildrop: (count: number, octets: number) => `+OK maildrop has ${count} messages (${octets} octets)`,
  stat: (count: number, octets: number) => `+OK ${count} ${octets}`,
  scanListing: (msg: number, octets: number) => `+OK ${msg} ${octets}`,
  uidListing: (msg: number, uidl: string) => `+OK ${msg} ${uidl}`,
  listFollows: (count: number, octets: number) => `+OK ${count} messages (${octets} octets)`,
  uidlFollows: '+OK unique-id listing follows',
  capaFollows: '+OK capability list follows',
  mechanismsFollow: '+OK supported mechanisms follow',
  retrFollows: (octets: number) => `+OK ${octets} octets`,
  topFollows: '+OK top of message follows',
  deleted: (msg: number) => `+OK message ${msg} deleted`,

  unknownCommand: '-ERR unknown command',
  syntaxError: (name: Pop3CommandName) => `-ERR syntax error in ${name}`,
  lineTooLong: '-ERR line too long',
  wrongState: (name: Pop3CommandName) => `-ERR ${name} not allowed now`,
  tooManyBadCommands: '-ERR too many bad commands',
  userFirst: '-ERR USER first',
  apopUnsupported: '-ERR APOP not supported',
  stlsUnsupported: '-ERR STLS not supported, the connection is already TLS',
  mechanismUnsupported: '-ERR unsupported authentication mechanism',
  saslMalformed: '-ERR malformed AUTH PLAIN response',
  saslCancelled: '-ERR authentication cancelled',
  noSuchMessage: '-ERR no such message',
  alreadyDeleted: (msg: number) => `-ERR message ${msg} already deleted`,
  messageUnavailable: '-ERR [SYS/TEMP] message temporarily unavailable',
  commitFailed: '-ERR [SYS/TEMP] some deleted messages not removed',
  autologout: '-ERR autologout',
} as const;

/** RFC 2449 capabilities; USER and SASL only before login (RFC 2449 section 6: may change after auth). */
export function capabilities(state: 'authorization' | 'transaction'): readonly string[] {
  return [
    'TOP',
    'UIDL',
    ...(state === 'authorization' ? ['USER', 'SASL PLAIN'] : []),
    'RESP-CODES',
    'AUTH-RESP-CODE',
    'PIPELINING',
    'IMPLEMENTATION KIM-Fachdienst',
  ];
}
