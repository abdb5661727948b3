import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { assertPatchable } from './patchGuard.js';

/**
 * smtp-server waits a fixed 100 ms before every greeting to catch clients that talk before they
 * are greeted, with no option to turn it off. On our listeners it buys nothing: they use implicit
 * TLS, so a client can say nothing before the handshake, and only authenticated clients may send.
 * With one connection per message it capped throughput near 90 messages/s on two cores.
 *
 * We replace `SMTPConnection.prototype.init` with the same code minus the timer. The replacement
 * is guarded: it is applied only to the smtp-server version whose `init` we read, and only if its
 * source still has the exact statement we remove; otherwise it throws at start-up, so an upgrade
 * cannot silently bring the delay back or break the connection set-up (test/fachdienst/smtp also
 * checks that the greeting arrives within a few milliseconds).
 */
const DELAY_STATEMENT = 'setTimeout(() => this.connectionReady(), 100)';

let applied = false;

export function removeGreetingDelay(): void {
  if (applied) return;
  const proto = SMTPConnection.prototype as unknown as {
    init: () => void;
    _setListeners(callback: () => void): void;
    connectionReady(): void;
    send(code: number, message: string, close?: boolean): void;
    _server: { options: { maxClients?: number }; connections: Set<unknown> };
    name: string;
  };
  assertPatchable(
    'greeting delay',
    proto.init.toString(),
    DELAY_STATEMENT,
    'SMTPConnection.init and src/mail/smtp/greeting.ts',
  );
  proto.init = function init(this: typeof proto): void {
    this._setListeners(() => {
      if (
        this._server.options.maxClients &&
        this._server.connections.size > this._server.options.maxClients
      ) {
        this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
        return;
      }
      this.connectionReady();
    });
  };
  applied = true;
}
