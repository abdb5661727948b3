import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { TLS_CIPHERS } from '../../../adapters/tls/index.js';
import type { UpstreamEndpoint } from '../username.js';
import { UpstreamError } from './errors.js';

/** How the Clientmodul authenticates the Fachdienst (and itself, with C.CM.TLS-CS, if given). */
export interface UpstreamTlsOptions {
  /** CA certificates the Fachdienst's server certificate must chain to; Node's defaults otherwise. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate and key for mutual TLS (C.CM.TLS-CS), PEM. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Name to verify the server certificate against; default the host (when it is a DNS name). */
  readonly servername?: string;
}

/**
 * Opens an implicit-TLS connection (SMTPS/POP3S, RFC 8314) with certificate and host name
 * verification. Errors are {@link UpstreamError}s: UNREACHABLE before TCP is up, TLS after.
 */
export function connectUpstream(
  endpoint: UpstreamEndpoint,
  tls: UpstreamTlsOptions,
  timeoutMs: number,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let tcpUp = false;
    const servername = tls.servername ?? (isIP(endpoint.host) === 0 ? endpoint.host : undefined);
    const socket = connect({
      host: endpoint.host,
      port: endpoint.port,
      ...(servername === undefined ? {} : { servername }),
      ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      minVersion: 'TLSv1.2',
      ciphers: TLS_CIPHERS,
      rejectUnauthorized: true,
    });
    const where = `${endpoint.host}:${endpoint.port}`;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpstreamError('TIMEOUT', `no TLS connection to ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      tcpUp = true;
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      const code = (error as NodeJS.ErrnoException).code ?? error.message;
      reject(
        tcpUp
          ? new UpstreamError('TLS', `TLS with ${where} failed: ${code}`, { cause: error })
          : new UpstreamError('UNREACHABLE', `cannot connect to ${where}: ${code}`, { cause: error }),
      );
    };
    socket.once('error', onError);
  });
}
