import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import type { DevPkiResult } from '../../../adapters/tls/devPki.js';
import { DevPkiError } from '../../../adapters/tls/errors.js';
import { loadTlsCredentials, tlsServerOptions } from '../../../adapters/tls/loadTls.js';
import { handshake, openssl } from './helpers.js';

const YEAR = 365.25 * 24 * 3600_000;

describe('createDevPki', () => {
  const root = mkdtempSync(join(tmpdir(), 'kim-pki-'));
  const dir = join(root, 'pki');
  let pki: DevPkiResult;

  beforeAll(async () => {
    pki = await createDevPki(dir, { domains: ['a.kim.test', 'b.kim.test'] });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the CA, server and one relay certificate per provider domain', () => {
    expect(pki.dir).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key', 'providers', 'server.crt', 'server.key']);
    expect(readdirSync(join(dir, 'providers')).sort()).toEqual([
      'a.kim.test.crt',
      'a.kim.test.key',
      'b.kim.test.crt',
      'b.kim.test.key',
    ]);
    expect(pki.providers.map((p) => p.domain)).toEqual(['a.kim.test', 'b.kim.test']);
    expect(readFileSync(pki.ca.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(pki.server.cert, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  it('issues a chain that openssl verifies, for the right purposes', () => {
    const server = openssl('verify', '-CAfile', pki.ca.cert, '-purpose', 'sslserver', pki.server.cert);
    expect(server.out).toMatch(/server\.crt: OK/);
    expect(server.code).toBe(0);
    for (const p of pki.providers) {
      const client = openssl('verify', '-CAfile', pki.ca.cert, '-purpose', 'sslclient', p.cert);
      expect(client.out).toMatch(/: OK/);
      expect(client.code).toBe(0);
    }
    // Control: the chain does not verify against an unrelated trust anchor.
    const wrong = openssl('verify', '-CAfile', pki.server.cert, pki.server.cert);
    expect(wrong.code).not.toBe(0);
  });

  it('makes a root CA: RSA-3072, CA:TRUE critical, keyCertSign+cRLSign, 10 years', () => {
    const text = openssl('x509', '-in', pki.ca.cert, '-noout', '-text').out;
    expect(text).toMatch(/Public-Key: \(3072 bit\)/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Subject: CN = KIM Development CA, O = KIM Provider Stack \(development only\)/);
    const cert = new X509Certificate(readFileSync(pki.ca.cert));
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
    const years = (Date.parse(cert.validTo) - Date.now()) / YEAR;
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
  });

  it('makes a server certificate: RSA-2048, SANs for hosts, IPs, domains and mail.<domain>, no wildcard', () => {
    const san = openssl('x509', '-in', pki.server.cert, '-noout', '-ext', 'subjectAltName').out;
    for (const name of [
      'DNS:a.kim.test',
      'DNS:mail.a.kim.test',
      'DNS:b.kim.test',
      'DNS:mail.b.kim.test',
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
    ]) {
      expect(san).toContain(name);
    }
    expect(san).not.toContain('*');
    const text = openssl('x509', '-in', pki.server.cert, '-noout', '-text').out;
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(
      /Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
    );
    expect(text).toMatch(/Authority Key Identifier/);
    const cert = new X509Certificate(readFileSync(pki.server.cert));
    const years = (Date.parse(cert.validTo) - Date.now()) / YEAR;
    expect(years).toBeGreaterThan(1.9);
    expect(years).toBeLessThan(2.1);
  });

  it('gives every certificate a distinct random positive 128-bit serial', () => {
    const serials = [pki.ca.cert, pki.server.cert, ...pki.providers.map((p) => p.cert)].map(
      (file) => new X509Certificate(readFileSync(file)).serialNumber,
    );
    expect(new Set(serials).size).toBe(serials.length);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]{32}$/);
      expect(parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80); // positive without a sign byte
    }
  });

  it('makes relay certificates with SAN DNS:<domain> and clientAuth+serverAuth', () => {
    const [first] = pki.providers;
    const san = openssl('x509', '-in', first!.cert, '-noout', '-ext', 'subjectAltName').out;
    expect(san).toMatch(/DNS:a\.kim\.test\s*$/);
    const text = openssl('x509', '-in', first!.cert, '-noout', '-text').out;
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/Subject: CN = a\.kim\.test/);
  });

  it('writes private keys with mode 0600 and certificates world-readable', () => {
    for (const key of [pki.ca.key, pki.server.key, ...pki.providers.map((p) => p.key)]) {
      expect((statSync(key).mode & 0o777).toString(8)).toBe('600');
    }
    for (const cert of [pki.ca.cert, pki.server.cert]) {
      expect((statSync(cert).mode & 0o777).toString(8)).toBe('644');
    }
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('refuses to overwrite an existing PKI, and leaves it untouched', async () => {
    const before = readFileSync(pki.ca.key, 'utf8');
    const attempt = createDevPki(dir, { domains: ['a.kim.test'] });
    await expect(attempt).rejects.toBeInstanceOf(DevPkiError);
    await expect(attempt).rejects.toMatchObject({
      code: 'PKI_EXISTS',
      message: expect.stringContaining('ca.key'),
    });
    expect(readFileSync(pki.ca.key, 'utf8')).toBe(before);
  });

  it('replaces an existing PKI with force, dropping relay certificates no longer asked for', async () => {
    const other = join(root, 'forced');
    await createDevPki(other, { domains: ['a.kim.test', 'b.kim.test'] });
    const oldCa = readFileSync(join(other, 'ca.crt'), 'utf8');
    const now = new Date('2030-06-01T00:00:00Z');
    const again = await createDevPki(other, { domains: ['c.kim.test'], force: true, now });
    expect(readFileSync(again.ca.cert, 'utf8')).not.toBe(oldCa);
    expect(readdirSync(join(other, 'providers')).sort()).toEqual(['c.kim.test.crt', 'c.kim.test.key']);
    const atTime = String(Math.floor(now.getTime() / 1000) + 86_400);
    expect(openssl('verify', '-CAfile', again.ca.cert, '-attime', atTime, again.server.cert).code).toBe(0);
    // `now` sets the issue time (with a few minutes of backdating for clock skew).
    const cert = new X509Certificate(readFileSync(again.server.cert));
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(now.getTime());
    expect(now.getTime() - Date.parse(cert.validFrom)).toBeLessThan(3600_000);
    expect(cert.validTo).toMatch(/2032/);
  });

  it.each([
    ['nodot'],
    ['under_score.kim.test'],
    ['-lead.kim.test'],
    ['a..kim.test'],
    ['sp ace.kim.test'],
    [''],
  ])('rejects the domain %j before writing anything', async (domain) => {
    const target = join(root, `bad-${Math.random().toString(36).slice(2)}`);
    await expect(createDevPki(target, { domains: [domain] })).rejects.toMatchObject({
      code: 'PKI_INVALID_NAME',
    });
    expect(existsSync(target)).toBe(false);
  });

  it('rejects a bad host name or IP address', async () => {
    const target = join(root, 'bad-names');
    await expect(
      createDevPki(target, { domains: ['a.kim.test'], hostnames: ['*.kim.test'] }),
    ).rejects.toMatchObject({ code: 'PKI_INVALID_NAME', message: "invalid host name '*.kim.test'" });
    await expect(
      createDevPki(target, { domains: ['a.kim.test'], ipAddresses: ['300.1.1.1'] }),
    ).rejects.toMatchObject({ code: 'PKI_INVALID_NAME', message: "invalid IP address '300.1.1.1'" });
  });

  describe('in a TLS handshake', () => {
    const trustOnlyCa = () => ({ ca: readFileSync(pki.ca.cert) });

    it('is accepted by a client that trusts only ca.crt, checking host name localhost', async () => {
      const result = await handshake(tlsServerOptions(loadTlsCredentials(dir)), {
        ...trustOnlyCa(),
        servername: 'localhost',
      });
      expect(result.error).toBeUndefined();
      expect(result.authorized).toBe(true);
    });

    it('is accepted for IP 127.0.0.1 (IP SAN) and for mail.<domain>', async () => {
      const byIp = await handshake(tlsServerOptions(loadTlsCredentials(dir)), trustOnlyCa());
      expect(byIp.error).toBeUndefined();
      expect(byIp.authorized).toBe(true);
      const byName = await handshake(tlsServerOptions(loadTlsCredentials(dir)), {
        ...trustOnlyCa(),
        servername: 'mail.b.kim.test',
      });
      expect(byName.authorized).toBe(true);
    });

    it('is refused for a name not in the certificate, and without trusting the CA', async () => {
      const wrongName = await handshake(tlsServerOptions(loadTlsCredentials(dir)), {
        ...trustOnlyCa(),
        servername: 'other.kim.test',
      });
      expect(wrongName.ok).toBe(false);
      expect(wrongName.error).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
      const untrusted = await handshake(tlsServerOptions(loadTlsCredentials(dir)), {
        servername: 'localhost',
      });
      expect(untrusted.ok).toBe(false);
      expect(untrusted.error).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/);
    });

    it('authenticates a provider relay client by its certificate (mutual TLS)', async () => {
      const [relay] = pki.providers;
      const result = await handshake(
        tlsServerOptions(loadTlsCredentials(dir), { requestClientCertificate: true }),
        {
          ...trustOnlyCa(),
          servername: 'localhost',
          cert: readFileSync(relay!.cert),
          key: readFileSync(relay!.key),
        },
      );
      expect(result.authorized).toBe(true);
      expect(result.server).toEqual({ authorized: true, peerSubjectCN: 'a.kim.test' });
    });
  });
});
