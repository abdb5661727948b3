import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { tooBig } from './smtpReply.js';

/**
 * smtp-server refuses `MAIL FROM:<…> SIZE=n` over the limit itself, before `onMailFrom` runs,
 * with `552 Error: message exceeds fixed maximum message size N`. With its enhanced status codes
 * hidden (they would be added to our own replies a second time, by reply code alone) that reply
 * lacks the `5.3.4` every other refusal carries, and it differs from the 552 the Fachdienst gives
 * at the end of DATA. The library marks that reply with the context `MESSAGE_TOO_BIG`; we send
 * `tooBig` instead. Guarded like the greeting patch: start-up fails if `send` changed.
 */
let applied = false;

export function useOwnSizeRefusal(): void {
  if (applied) return;
  interface Connection {
    send: (this: Connection, code: number, data: unknown, context?: unknown) => void;
    _server: { options: { size?: number } };
  }
  const proto = SMTPConnection.prototype as unknown as Connection;
  const original = proto.send;
  if (typeof original !== 'function' || original.length !== 3) {
    throw new Error('smtp-server: SMTPConnection.send changed; re-check src/mail/smtp/sizeRefusal.ts');
  }
  proto.send = function send(this: Connection, code: number, data: unknown, context?: unknown): void {
    if (code === 552 && context === 'MESSAGE_TOO_BIG') {
      const reply = tooBig(Number(this._server.options.size) || 0);
      original.call(this, reply.responseCode, reply.message, false);
      return;
    }
    original.call(this, code, data, context);
  };
  applied = true;
}
