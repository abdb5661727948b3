import type { Socket } from 'node:net';
import { createServer } from 'node:tls';
import type { Server, TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from '../../logging/logger.js';

/** What the server needs of a session (the Fachdienst's POP3 session, or the proxy's). */
export interface ServedSession {
  /** Resolves once the session has ended and cleaned up. */
  readonly done: Promise<void>;
  start(): void;
  /** Ends the session at once (the server is closing). */
  shutdown(): void;
}

export interface SessionServer {
  readonly server: Server;
  /** Sessions open now (TLS established). */
  readonly connections: number;
  /** Stops listening, shuts every session down and waits until each has ended. */
  close(): Promise<void>;
}

const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * A TLS server (implicit TLS, RFC 8314) that runs one session per connection and keeps track of
 * them, so that closing it ends every session and waits for their clean-up.
 */
export function createSessionServer(
  tls: TlsOptions,
  newSession: (socket: TLSSocket) => ServedSession,
  log: Logger,
): SessionServer {
  const sessions = new Set<ServedSession>();
  const sockets = new Set<Socket>();
  let closing: Promise<void> | null = null;
  const server = createServer(
    {
      ...tls,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      // Commands pipelined before the client's close are still answered; the session ends the socket.
      allowHalfOpen: true,
    },
    (socket: TLSSocket) => {
      if (closing !== null) {
        socket.destroy();
        return;
      }
      const session = newSession(socket);
      sessions.add(session);
      void session.done.then(() => sessions.delete(session));
      session.start();
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    log.info(
      {
        err: { message: error.message, code: (error as NodeJS.ErrnoException).code },
        remoteAddress: socket.remoteAddress,
      },
      'TLS handshake failed',
    );
  });
  return {
    server,
    get connections() {
      return sessions.size;
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) session.shutdown();
        for (const socket of sockets) socket.destroy();
        await Promise.all([...sessions].map((session) => session.done));
        await stopped;
      })();
      return closing;
    },
  };
}
