import { TLSSocket } from 'node:tls';

/**
 * Node 20 crashes the process (SIGSEGV in SSL_get_version) when `getProtocol()` is called on a
 * TLS socket whose TLS state was already freed. smtp-server does exactly that when a connection
 * closes during the TLS handshake: its error report asks the closed socket for its protocol.
 * A client that hangs up mid-handshake, or a server stopping under load, could thus take the
 * whole process down (seen as SIGSEGV on SIGTERM in the crash test). A destroyed socket has no
 * protocol any more, so we answer null for it, as Node does once its handle is gone.
 */
let applied = false;

export function guardTlsGetProtocol(): void {
  if (applied) return;
  // Called with .call(this) below, so the unbound reference is intended.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = TLSSocket.prototype.getProtocol;
  TLSSocket.prototype.getProtocol = function getProtocol(this: TLSSocket): string | null {
    if (this.destroyed) return null;
    return original.call(this);
  };
  applied = true;
}
