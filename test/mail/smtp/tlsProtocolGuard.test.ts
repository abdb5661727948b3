import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { guardTlsGetProtocol } from '../../../src/mail/smtp/tlsProtocolGuard.js';

describe('the TLS getProtocol guard', () => {
  it('never reaches into the TLS state of a destroyed socket (Node 20 crashes there)', () => {
    guardTlsGetProtocol();
    const socket = new TLSSocket(new Socket());
    socket.destroy();
    // Stand-in for a handle whose TLS state is already freed: touching it is the crash.
    (socket as unknown as { _handle: unknown })._handle = {
      getProtocol: () => {
        throw new Error('freed TLS state touched');
      },
    };
    expect(socket.getProtocol()).toBeNull();
  });

  it('still reports the protocol of a live socket', () => {
    guardTlsGetProtocol();
    const socket = new TLSSocket(new Socket());
    (socket as unknown as { _handle: unknown })._handle = { getProtocol: () => 'TLSv1.3' };
    expect(socket.getProtocol()).toBe('TLSv1.3');
    socket.destroy();
  });
});
