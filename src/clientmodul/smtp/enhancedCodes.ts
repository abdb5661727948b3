import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPServer } from 'smtp-server';

/**
 * The Clientmodul must announce ENHANCEDSTATUSCODES (Tab_SMTP_Ant_Init). With that option on,
 * smtp-server derives an enhanced code from the reply code alone (550 → 5.1.1), which is wrong
 * for most of our refusals (550 5.7.1, 552 5.3.4, 501 5.5.4), and adds it in front of any text we
 * give. Our replies carry their own code at the start of the text (`SmtpReply`); for servers
 * registered here, a reply whose text already starts with an enhanced status code is sent as it
 * is. Other servers in the process (the Fachdienst in tests) are not affected.
 *
 * Guarded like the Fachdienst's patches (src/mail/smtp/greeting.ts): start-up fails if
 * `send` no longer has the shape this was written against.
 */
const ENHANCED_PREFIX = /^[245]\.[0-9]{1,3}\.[0-9]{1,3} /;
const servers = new WeakSet<object>();
let applied = false;

export function useOwnEnhancedCodes(server: SMTPServer): void {
  install();
  servers.add(server);
}

function install(): void {
  if (applied) return;
  interface Connection {
    send: (this: Connection, code: number, data: unknown, context?: unknown) => void;
    _server: object;
  }
  const proto = SMTPConnection.prototype as unknown as Connection;
  const original = proto.send;
  if (typeof original !== 'function' || original.length !== 3) {
    throw new Error(
      'smtp-server: SMTPConnection.send changed; re-check src/clientmodul/smtp/enhancedCodes.ts',
    );
  }
  proto.send = function send(this: Connection, code: number, data: unknown, context?: unknown): void {
    if (servers.has(this._server) && typeof data === 'string' && ENHANCED_PREFIX.test(data)) {
      original.call(this, code, data, false);
      return;
    }
    original.call(this, code, data, context);
  };
  applied = true;
}
