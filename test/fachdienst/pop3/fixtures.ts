import type { Pop3Account } from '../../../src/fachdienst/pop3/index.js';
import type { MemoryHooks, MemoryMessage } from './memoryHooks.js';

export const USER = 'arzt@praxis.kim.telematik';
export const PASSWORD = 'geheim passwort mit leerzeichen';
export const OTHER_USER = 'apotheke@apo.kim.telematik';
export const OTHER_PASSWORD = 'apo-secret';

export const SIMPLE = [
  'From: labor@labor.kim.telematik',
  'To: arzt@praxis.kim.telematik',
  'Subject: Befund',
  'Message-ID: <1@labor.kim.telematik>',
  '',
  'Sehr geehrte Kollegin,',
  'anbei der Befund.',
  '',
].join('\r\n');

/** Lines starting with ".", a line that is just ".", and "..". */
export const DOTTY = [
  'Subject: dots',
  '',
  '.starts with a dot',
  '.',
  '..two dots',
  'normal line',
  '.',
  'end',
  '',
].join('\r\n');

/** No CRLF at the end. */
export const NO_FINAL_CRLF = 'Subject: no final line end\r\n\r\nthe last line has no CRLF';

export const UMLAUTS =
  'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße aus Köln – ÄÖÜ ß\r\n';

export interface Mailbox {
  readonly account: Pop3Account;
  readonly messages: readonly MemoryMessage[];
}

/** USER with the four messages above (in this order), OTHER_USER with one. */
export function seed(hooks: MemoryHooks): { main: Mailbox; other: Mailbox } {
  const account = hooks.addUser(USER, PASSWORD);
  const messages = [SIMPLE, DOTTY, NO_FINAL_CRLF, UMLAUTS].map((body) => hooks.addMessage(account, body));
  const otherAccount = hooks.addUser(OTHER_USER, OTHER_PASSWORD);
  const otherMessages = [hooks.addMessage(otherAccount, SIMPLE)];
  return { main: { account, messages }, other: { account: otherAccount, messages: otherMessages } };
}
