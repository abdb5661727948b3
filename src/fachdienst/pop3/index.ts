/**
 * POP3 server of the KIM Fachdienst (RFC 1939 with RFC 2449 CAPA / response codes, RFC 5034
 * AUTH PLAIN, RFC 3206 codes), implicit TLS only. The protocol knows nothing about storage:
 * the Fachdienst supplies {@link Pop3Hooks}.
 *
 *   const pop3 = createPop3Server({ hooks, tls: { key, cert }, logger });
 *   const port = await pop3.listen(995, '0.0.0.0');
 *   ...
 *   await pop3.close(); // ends sessions, deletes nothing, waits for every release()
 */
export type {
  Pop3Account,
  Pop3AuthResult,
  Pop3Hooks,
  Pop3Maildrop,
  Pop3MaildropEntry,
  Pop3OpenResult,
} from './hooks.js';
export { createPop3Server } from './server.js';
export type { Pop3Server, Pop3ServerOptions, Pop3TlsOptions } from './server.js';
export type { Pop3SessionEnd, Pop3SessionState } from './session.js';
export { DotStuffer, DotStuffTransform } from '../../mail/pop3/dotStuff.js';
