import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import type { DevPkiResult } from '../../../adapters/tls/devPki.js';
import { TlsConfigError } from '../../../adapters/tls/errors.js';
import {
  TLS_CIPHERS,
  checkCertificate,
  loadTlsCredentials,
  tlsServerOptions,
} from '../../../adapters/tls/loadTls.js';
import { handshake } from './helpers.js';

function thrown(fn: () => unknown): TlsConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsConfigError);
    const e = error as TlsConfigError;
    expect(e.code).toBe('TLS_CONFIG');
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected a TlsConfigError');
}

describe('loading TLS credentials', () => {
  const root = mkdtempSync(join(tmpdir(), 'kim-tls-'));
  let pki: DevPkiResult;

  /** A fresh copy of the server's three files, to break one at a time. */
  function copy(name: string): string {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const f of ['server.key', 'server.crt', 'ca.crt']) copyFileSync(join(pki.dir, f), join(dir, f));
    return dir;
  }

  beforeAll(async () => {
    pki = await createDevPki(join(root, 'pki'), { domains: ['a.kim.test'] });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads key, certificate and CA', () => {
    const creds = loadTlsCredentials(pki.dir);
    expect(creds.key.toString()).toBe(readFileSync(pki.server.key, 'utf8'));
    expect(creds.cert.toString()).toBe(readFileSync(pki.server.cert, 'utf8'));
    expect(creds.ca.toString()).toBe(readFileSync(pki.ca.cert, 'utf8'));
  });

  it.each([
    ['server.key', /TLS key file not found: .*server\.key$/],
    ['server.crt', /TLS certificate file not found: .*server\.crt$/],
    ['ca.crt', /TLS CA certificate file not found: .*ca\.crt$/],
  ])('names a missing %s', (file, message) => {
    const dir = copy(`missing-${file}`);
    rmSync(join(dir, file));
    const error = thrown(() => loadTlsCredentials(dir));
    expect(error.message).toMatch(message);
    expect(error.file).toBe(join(dir, file));
  });

  it('names an unreadable file', () => {
    const dir = copy('unreadable');
    rmSync(join(dir, 'server.key'));
    mkdirSync(join(dir, 'server.key')); // reading a directory fails even for root
    const error = thrown(() => loadTlsCredentials(dir));
    expect(error.message).toBe(`cannot read TLS key file ${join(dir, 'server.key')}: EISDIR`);
  });

  it('names a file that is not PEM', () => {
    const dir = copy('not-pem');
    writeFileSync(join(dir, 'server.crt'), 'hello\n');
    const error = thrown(() => loadTlsCredentials(dir));
    expect(error.message).toMatch(/server\.crt is not PEM/);
    expect(error.file).toBe(join(dir, 'server.crt'));
  });

  it('detects a key that does not belong to the certificate', () => {
    const dir = copy('mismatch');
    copyFileSync(pki.providers[0]!.key, join(dir, 'server.key'));
    const error = thrown(() => loadTlsCredentials(dir));
    expect(error.message).toMatch(
      /server\.crt: private key does not belong to the certificate \(subject CN=a\.kim\.test/,
    );
    // …and can be told not to look.
    expect(loadTlsCredentials(dir, { check: false }).key.length).toBeGreaterThan(0);
  });

  describe('checkCertificate', () => {
    const cert = () => readFileSync(pki.server.cert);
    const key = () => readFileSync(pki.server.key);

    it('accepts a matching, currently valid pair and describes it', () => {
      const info = checkCertificate(cert(), key());
      expect(info.subject).toMatch(/^CN=a\.kim\.test, O=KIM Provider Stack/);
      expect(info.issuer).toMatch(/^CN=KIM Development CA/);
      expect(info.subjectAltName).toContain('DNS:mail.a.kim.test');
      expect(info.validTo.getTime()).toBeGreaterThan(Date.now());
    });

    it('rejects a mismatched key', () => {
      const error = thrown(() => checkCertificate(cert(), readFileSync(pki.ca.key)));
      expect(error.message).toMatch(/^private key does not belong to the certificate/);
    });

    it('rejects an expired or not yet valid certificate', () => {
      expect(
        thrown(() => checkCertificate(cert(), key(), new Date(Date.now() + 3 * 365 * 86_400_000))).message,
      ).toMatch(/expired on \d{4}-/);
      expect(thrown(() => checkCertificate(cert(), key(), new Date('2001-01-01'))).message).toMatch(
        /is not yet valid: valid from \d{4}-/,
      );
    });

    it('rejects garbage with one line', () => {
      expect(thrown(() => checkCertificate('nope', key())).message).toMatch(/^certificate cannot be parsed/);
      expect(thrown(() => checkCertificate(cert(), 'nope')).message).toMatch(/^private key cannot be parsed/);
    });
  });

  describe('tlsServerOptions', () => {
    it('requires TLS 1.2 or later and forward-secret AEAD ciphers only', () => {
      const options = tlsServerOptions(loadTlsCredentials(pki.dir));
      expect(options.minVersion).toBe('TLSv1.2');
      expect(options.ciphers).toBe(TLS_CIPHERS);
      for (const suite of TLS_CIPHERS.split(':')) expect(suite).toMatch(/^(TLS_|ECDHE-).*(GCM|CHACHA20)/);
      expect(options.requestCert).toBeUndefined();
    });

    const trust = () => ({ ca: readFileSync(pki.ca.cert), servername: 'localhost' });

    it('negotiates TLS 1.3 with a modern client and the gematik suite with a TLS 1.2 client', async () => {
      const modern = await handshake(tlsServerOptions(loadTlsCredentials(pki.dir)), trust());
      expect(modern.protocol).toBe('TLSv1.3');
      const tls12 = await handshake(tlsServerOptions(loadTlsCredentials(pki.dir)), {
        ...trust(),
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
      });
      expect(tls12.error).toBeUndefined();
      expect(tls12).toMatchObject({ protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
    });

    it('refuses a TLS 1.2 client offering only CBC suites (Node would accept it by default)', async () => {
      const cbc = { ...trust(), maxVersion: 'TLSv1.2' as const, ciphers: 'ECDHE-RSA-AES128-SHA256' };
      const refused = await handshake(tlsServerOptions(loadTlsCredentials(pki.dir)), cbc);
      expect(refused.ok).toBe(false);
      expect(refused.error).toMatch(/ALERT_HANDSHAKE_FAILURE/);
      // Control: the same client gets through to a server with Node's defaults.
      const creds = loadTlsCredentials(pki.dir);
      const defaults = await handshake({ key: creds.key, cert: creds.cert }, cbc);
      expect(defaults.ok).toBe(true);
    });

    it('refuses a TLS 1.1 client with a protocol_version alert', async () => {
      const tls11 = {
        ...trust(),
        minVersion: 'TLSv1' as const,
        maxVersion: 'TLSv1.1' as const,
        ciphers: 'DEFAULT@SECLEVEL=0',
      };
      const old = await handshake(tlsServerOptions(loadTlsCredentials(pki.dir)), tls11);
      expect(old.ok).toBe(false);
      expect(old.error).toMatch(/ALERT_PROTOCOL_VERSION/);
      // Control: the client itself can speak TLS 1.1 to a server that allows it.
      const creds = loadTlsCredentials(pki.dir);
      const lax = await handshake(
        { key: creds.key, cert: creds.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
        tls11,
      );
      expect(lax).toMatchObject({ ok: true, protocol: 'TLSv1.1' });
    });
  });
});
