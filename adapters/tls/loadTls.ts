import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { TlsConfigError } from './errors.js';

export interface TlsCredentials {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** CA certificate(s) to trust for peers (provider relay clients/servers). */
  readonly ca: Buffer;
}

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAltName: string | undefined;
  readonly validFrom: Date;
  readonly validTo: Date;
  readonly fingerprint256: string;
}

export const TLS_FILES = { key: 'server.key', cert: 'server.crt', ca: 'ca.crt' } as const;

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

function readTlsFile(path: string, what: string, marker: RegExp): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    const code = describe(error);
    if (code === 'ENOENT')
      throw new TlsConfigError(`TLS ${what} file not found: ${path}`, path, { cause: error });
    throw new TlsConfigError(`cannot read TLS ${what} file ${path}: ${code}`, path, { cause: error });
  }
  if (!marker.test(data.toString('latin1')))
    throw new TlsConfigError(`TLS ${what} file ${path} is not PEM (no BEGIN line found)`, path);
  return data;
}

/** One line, whatever OpenSSL put into the message. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Checks that `keyPem` is the private key of `certPem` and that the certificate is valid at `now`.
 * Returns a summary of the certificate; throws a one-line `TlsConfigError` otherwise.
 */
export function checkCertificate(
  certPem: string | Buffer,
  keyPem: string | Buffer,
  now: Date = new Date(),
): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    throw new TlsConfigError(`certificate cannot be parsed: ${oneLine(describe(error))}`, undefined, {
      cause: error,
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new TlsConfigError(`private key cannot be parsed: ${oneLine(describe(error))}`, undefined, {
      cause: error,
    });
  }
  const subject = oneLine(cert.subject.replace(/\n/g, ', '));
  if (!cert.checkPrivateKey(key))
    throw new TlsConfigError(`private key does not belong to the certificate (subject ${subject})`);
  const validFrom = new Date(cert.validFrom);
  const validTo = new Date(cert.validTo);
  if (now < validFrom)
    throw new TlsConfigError(
      `certificate (subject ${subject}) is not yet valid: valid from ${validFrom.toISOString()}`,
    );
  if (now > validTo)
    throw new TlsConfigError(`certificate (subject ${subject}) expired on ${validTo.toISOString()}`);
  return {
    subject,
    issuer: oneLine(cert.issuer.replace(/\n/g, ', ')),
    subjectAltName: cert.subjectAltName,
    validFrom,
    validTo,
    fingerprint256: cert.fingerprint256,
  };
}

export interface LoadTlsOptions {
  /** Run `checkCertificate` on server.crt/server.key. Default true. */
  readonly check?: boolean;
  readonly now?: Date;
}

/**
 * Reads `server.key`, `server.crt` and `ca.crt` from `dir`. Errors (`TlsConfigError`, code
 * `TLS_CONFIG`) name the file that is missing, unreadable or not PEM; by default the key and
 * certificate are also checked to belong together and to be currently valid.
 */
export function loadTlsCredentials(dir: string, options: LoadTlsOptions = {}): TlsCredentials {
  const key = readTlsFile(join(dir, TLS_FILES.key), 'key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  const cert = readTlsFile(join(dir, TLS_FILES.cert), 'certificate', /-----BEGIN CERTIFICATE-----/);
  const ca = readTlsFile(join(dir, TLS_FILES.ca), 'CA certificate', /-----BEGIN CERTIFICATE-----/);
  if (options.check !== false) {
    try {
      checkCertificate(cert, key, options.now);
    } catch (error) {
      if (error instanceof TlsConfigError)
        throw new TlsConfigError(
          `${join(dir, TLS_FILES.cert)}: ${error.message}`,
          join(dir, TLS_FILES.cert),
          {
            cause: error,
          },
        );
      throw error;
    }
  }
  return { key, cert, ca };
}

/**
 * Forward-secret AEAD suites only. TLS 1.3 suites first; for TLS 1.2 the two suites gemSpec_Krypt
 * requires (ECDHE-RSA with AES-128/256-GCM) plus their ECDSA and ChaCha20 siblings. Node's default
 * list would also admit CBC-mode and DHE suites.
 */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
].join(':');

export interface TlsServerOptionsExtra {
  /**
   * Ask peers for a client certificate (provider-to-provider relay). The handshake still
   * succeeds without one or with an untrusted one; check `socket.authorized` before trusting
   * the peer. Default false.
   */
  readonly requestClientCertificate?: boolean;
}

/** Options for `tls.createServer` / `new tls.TLSSocket(…, { isServer: true, … })` / STARTTLS. */
export function tlsServerOptions(creds: TlsCredentials, extra: TlsServerOptionsExtra = {}): TlsOptions {
  return {
    key: creds.key,
    cert: creds.cert,
    ca: creds.ca,
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ...(extra.requestClientCertificate === true ? { requestCert: true, rejectUnauthorized: false } : {}),
  };
}
