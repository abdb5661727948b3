import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

/** Runs the openssl CLI; returns exit code and output (stdout and stderr together). */
export function openssl(...args: string[]): { code: number | null; out: string } {
  const run = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

export interface HandshakeResult {
  readonly ok: boolean;
  readonly authorized: boolean;
  readonly error?: string;
  readonly protocol?: string | null;
  readonly cipher?: string;
  /** What the server saw of the client (mutual TLS). */
  readonly server?: { authorized: boolean; peerSubjectCN: string | undefined };
}

/**
 * Starts a TLS server with `serverOptions`, connects once with `clientOptions`, returns the
 * outcome on both sides and closes everything.
 */
export async function handshake(
  serverOptions: tls.TlsOptions,
  clientOptions: tls.ConnectionOptions,
): Promise<HandshakeResult> {
  let serverSide: HandshakeResult['server'];
  const server = tls.createServer(serverOptions, (socket) => {
    const peer = socket.getPeerCertificate();
    const cn = peer.subject?.CN;
    serverSide = { authorized: socket.authorized, peerSubjectCN: Array.isArray(cn) ? cn[0] : cn };
    socket.end('hello\n');
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...clientOptions });
      socket.on('secureConnect', () => {
        const result = {
          ok: true,
          authorized: socket.authorized,
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
        };
        socket.once('data', () => {
          resolve({ ...result, server: serverSide });
          socket.destroy();
        });
        socket.once('end', () => resolve({ ...result, server: serverSide }));
      });
      socket.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ ok: false, authorized: false, error: `${error.code ?? ''} ${error.message}` }),
      );
    });
  } finally {
    server.close();
  }
}
