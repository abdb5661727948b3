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
export { DotStuffer, DotStuffTransform } from './dotStuff.js';
