/**
 * Every reply the POP3 proxy gives itself, in one place (kim-domain §7.3, Tab_POP3_Ant_Init).
 * Everything else the mail program reads comes from the Fachdienst unchanged. Response codes:
 * RFC 2449 (RESP-CODES), RFC 3206 (AUTH, SYS/TEMP, SYS/PERM).
 */
export const replies = {
  greeting: (hostname: string) => `+OK ${hostname} KIM Clientmodul POP3 ready`,
  signOff: '+OK KIM Clientmodul POP3 signing off',
  userAccepted: '+OK send PASS',
  saslContinue: '+ ',
  capaFollows: '+OK capability list follows',
  mechanismsFollow: '+OK supported mechanisms follow',

  usernameInvalid: (reason: string) => `-ERR [AUTH] ${reason}`,
  /** A refusal of the Fachdienst without a response code of its own. */
  loginRefused: '-ERR [AUTH] Authentication failed',
  upstreamUnavailable: '-ERR [SYS/TEMP] Fachdienst not reachable, try again later',
  upstreamLost: '-ERR [SYS/TEMP] Connection to the Fachdienst lost, try again later',
  upstreamTimeout: '-ERR [SYS/TEMP] timeout waiting for the Fachdienst',
  /** The client said nothing for POP3_TIMEOUT_CLIENT (§7.3: "-ERR timeout"). */
  timeout: '-ERR timeout',
  openFailed: '-ERR [SYS/TEMP] Message could not be processed, try again later',
  messageTooLarge: '-ERR [SYS/PERM] Message too large for the Clientmodul',
  userFirst: '-ERR USER first',
  saslCancelled: '-ERR authentication cancelled',
  saslMalformed: '-ERR [AUTH] malformed SASL PLAIN response',
  mechanismUnsupported: '-ERR unsupported authentication mechanism',
  apopUnsupported: '-ERR APOP not supported',
  stlsUnsupported: '-ERR STLS not supported, the connection is already TLS',
  notBeforeLogin: (name: string) => `-ERR ${name} not allowed before login`,
  unknownCommand: '-ERR unknown command',
  syntaxError: (name: string) => `-ERR syntax error in ${name}`,
  lineTooLong: '-ERR line too long',
  tooManyBadCommands: '-ERR too many bad commands',
} as const;

/**
 * CAPA before login (Tab_POP3_Ant_Init: TOP, USER, SASL PLAIN, UIDL). PIPELINING holds because
 * commands are run strictly one after the other; after login CAPA is the Fachdienst's.
 */
export const CAPABILITIES = [
  'TOP',
  'USER',
  'SASL PLAIN',
  'UIDL',
  'RESP-CODES',
  'AUTH-RESP-CODE',
  'PIPELINING',
];

/** A Fachdienst refusal passed on; one without a response code gets [AUTH] (RFC 3206). */
export function loginRefusal(line: string): string {
  if (/^-ERR \[/.test(line)) return line;
  return line.length > 5 ? `-ERR [AUTH] ${line.slice(5)}` : replies.loginRefused;
}
