import { X509Certificate, constants, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { issuerAndSerialOf } from '../../../adapters/crypto/certificate.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { HOLDER, openssl, TELEMATIK_ID, tempPki } from './helpers.js';

function der(pemFile: string): Buffer {
  return Buffer.from(new X509Certificate(readFileSync(pemFile)).raw);
}

/** RSAES-OAEP, SHA-256, MGF1-SHA-256, as a KIM sender wraps the content key. */
function wrap(certDer: Buffer, contentKey: Buffer): Buffer {
  return publicEncrypt(
    {
      key: new X509Certificate(certDer).publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    },
    contentKey,
  );
}

function yearsFromNow(years: number): Date {
  return new Date(Date.now() + years * 365.25 * 24 * 3600_000);
}

describe('SoftwareKonnektor', () => {
  let root: string;
  let pkiDir: string;
  let cardDir: string;
  /** An older card of the same institution (issued a year ago), for a second ENC key. */
  let renewedDir: string;
  /** Another institution's card. */
  let otherDir: string;
  let konnektor: SoftwareKonnektor;

  beforeAll(async () => {
    ({ root, pkiDir } = await tempPki('kim-konnektor-'));
    cardDir = join(root, 'card');
    renewedDir = join(root, 'renewed');
    otherDir = join(root, 'other');
    // The first card creates the SMC-B CA; the other two can then be issued side by side.
    await issueDevCard({ pkiDir, telematikId: TELEMATIK_ID, name: HOLDER, outDir: cardDir });
    await Promise.all([
      issueDevCard({
        pkiDir,
        telematikId: TELEMATIK_ID,
        name: HOLDER,
        outDir: renewedDir,
        now: yearsFromNow(-1),
      }),
      issueDevCard({ pkiDir, telematikId: '3-SMC-B-Testkarte-883110000', name: 'Other', outDir: otherDir }),
    ]);
    konnektor = await SoftwareKonnektor.load(cardDir);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the card directory to break in one way. */
  function variant(name: string): string {
    const dir = join(root, name);
    cpSync(cardDir, dir, { recursive: true });
    return dir;
  }

  async function loadError(dir: string, options = {}): Promise<KonnektorError> {
    const error: unknown = await SoftwareKonnektor.load(dir, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KonnektorError);
    const k = error as KonnektorError;
    expect(k.message).not.toContain('\n');
    return k;
  }

  it('loads the card from PEM files: identity and certificates', () => {
    expect(konnektor.card).toEqual({ telematikId: TELEMATIK_ID, holderName: HOLDER });
    expect(konnektor.signingCertificate()).toEqual(der(join(cardDir, 'osig.crt')));
    expect(konnektor.authenticationCertificate()).toEqual(der(join(cardDir, 'aut.crt')));
    expect(konnektor.encryptionCertificates()).toEqual([der(join(cardDir, 'enc.crt'))]);
  });

  it('exposes no private key', () => {
    expect(Object.keys(konnektor)).toEqual(['card']);
    const shown = inspect(konnektor, { depth: 8, showHidden: true });
    expect(shown).not.toMatch(/KeyObject|PRIVATE KEY/);
    const keyBody = readFileSync(join(cardDir, 'osig.key'), 'utf8').split('\n')[1] ?? 'missing';
    expect(JSON.stringify(konnektor)).not.toContain(keyBody);
  });

  it('signs with OSIG: RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) that openssl verifies', async () => {
    const data = Buffer.from('Content-Type: message/rfc822\r\n\r\nhello\r\n');
    const signature = await konnektor.signWithOsig(data);
    expect(signature).toHaveLength(256);
    const osig = new X509Certificate(konnektor.signingCertificate());
    const pss = { key: osig.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', data, pss, signature)).toBe(true);
    expect(verify('sha256', Buffer.concat([data, Buffer.from('x')]), pss, signature)).toBe(false);

    writeFileSync(join(root, 'data.bin'), data);
    writeFileSync(join(root, 'sig.bin'), signature);
    writeFileSync(join(root, 'osig.pub'), osig.publicKey.export({ type: 'spki', format: 'pem' }));
    const args = ['dgst', '-sha256', '-verify', join(root, 'osig.pub'), '-signature', join(root, 'sig.bin')];
    const pssOpts = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_mgf1_md:sha256'];
    const ok = openssl(...args, ...pssOpts, '-sigopt', 'rsa_pss_saltlen:32', join(root, 'data.bin'));
    expect(ok.out).toContain('Verified OK');
    // the salt length is part of the contract: 20 must not verify
    expect(
      openssl(...args, ...pssOpts, '-sigopt', 'rsa_pss_saltlen:20', join(root, 'data.bin')).code,
    ).not.toBe(0);
  });

  it('signs with AUT for the AUT certificate, not the OSIG one', async () => {
    const data = Buffer.from('header.payload');
    const signature = await konnektor.signWithAut(data);
    const pss = (cert: Buffer) => ({
      key: new X509Certificate(cert).publicKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    expect(verify('sha256', data, pss(konnektor.authenticationCertificate()), signature)).toBe(true);
    expect(verify('sha256', data, pss(konnektor.signingCertificate()), signature)).toBe(false);
  });

  it('names the ENC certificate by the issuer and serial bytes openssl sees', () => {
    const rid = issuerAndSerialOf(konnektor.encryptionCertificates()[0]!);
    const serial = openssl('x509', '-in', join(cardDir, 'enc.crt'), '-noout', '-serial').out.trim();
    expect(`serial=${rid.serialNumber.toString('hex').toUpperCase()}`).toBe(serial);
    // the issuer Name of the card certificate is the SMC-B CA's subject, byte for byte
    const caSubject = issuerAndSerialOf(der(join(pkiDir, 'smcb-ca.crt')));
    expect(rid.issuer.length).toBeGreaterThan(20);
    expect(rid.issuer.equals(caSubject.issuer)).toBe(false);
    expect(der(join(pkiDir, 'smcb-ca.crt')).includes(rid.issuer)).toBe(true);
  });

  it('unwraps a content key wrapped by node and by openssl (RSA-OAEP SHA-256)', async () => {
    const enc = konnektor.encryptionCertificates()[0]!;
    const rid = issuerAndSerialOf(enc);
    const contentKey = randomBytes(32);
    expect(await konnektor.unwrapContentKey(rid, wrap(enc, contentKey))).toEqual(contentKey);

    writeFileSync(join(root, 'cek.bin'), contentKey);
    const wrapped = openssl(
      'pkeyutl',
      '-encrypt',
      '-certin',
      '-inkey',
      join(cardDir, 'enc.crt'),
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-pkeyopt',
      'rsa_oaep_md:sha256',
      '-pkeyopt',
      'rsa_mgf1_md:sha256',
      '-in',
      join(root, 'cek.bin'),
      '-out',
      join(root, 'cek.wrapped'),
    );
    expect(wrapped.code).toBe(0);
    expect(await konnektor.unwrapContentKey(rid, readFileSync(join(root, 'cek.wrapped')))).toEqual(
      contentKey,
    );
  });

  it('answers KEY_NOT_AVAILABLE for a recipient id of another card', async () => {
    const foreign = der(join(otherDir, 'enc.crt'));
    const attempt = konnektor.unwrapContentKey(issuerAndSerialOf(foreign), wrap(foreign, randomBytes(32)));
    await expect(attempt).rejects.toBeInstanceOf(KonnektorError);
    await expect(attempt).rejects.toMatchObject({ code: 'KEY_NOT_AVAILABLE' });
    // same issuer, the OSIG certificate's serial: still not an ENC key
    const osigRid = issuerAndSerialOf(konnektor.signingCertificate());
    await expect(konnektor.unwrapContentKey(osigRid, Buffer.alloc(256))).rejects.toMatchObject({
      code: 'KEY_NOT_AVAILABLE',
    });
  });

  it('answers DECRYPTION_FAILED when the wrapped key does not decrypt', async () => {
    const enc = konnektor.encryptionCertificates()[0]!;
    const sha1Wrapped = publicEncrypt(
      {
        key: new X509Certificate(enc).publicKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha1',
      },
      randomBytes(32),
    );
    await expect(konnektor.unwrapContentKey(issuerAndSerialOf(enc), sha1Wrapped)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
  });

  it('holds several ENC keys (enc-2) and unwraps with the one the rid names', async () => {
    const dir = variant('two-enc');
    copyFileSync(join(renewedDir, 'enc.crt'), join(dir, 'enc-2.crt'));
    copyFileSync(join(renewedDir, 'enc.key'), join(dir, 'enc-2.key'));
    const two = await SoftwareKonnektor.load(dir);
    const certs = two.encryptionCertificates();
    expect(certs).toHaveLength(2);
    for (const cert of certs) {
      const key = randomBytes(32);
      expect(await two.unwrapContentKey(issuerAndSerialOf(cert), wrap(cert, key))).toEqual(key);
    }
  });

  it('loads an encrypted PEM key with the password, and says so without one', async () => {
    const dir = variant('encrypted-pem');
    const key = join(dir, 'aut.key');
    expect(
      openssl(
        'pkcs8',
        '-topk8',
        '-v2',
        'aes-256-cbc',
        '-in',
        join(cardDir, 'aut.key'),
        '-out',
        key,
        '-passout',
        'pass:secret',
      ).code,
    ).toBe(0);
    expect((await SoftwareKonnektor.load(dir, { password: 'secret' })).card.telematikId).toBe(TELEMATIK_ID);
    const missing = await loadError(dir);
    expect(missing.code).toBe('CARD_PASSWORD');
    expect(missing.message).toContain(key);
    const wrong = await loadError(dir, { password: 'nope' });
    expect(wrong.code).toBe('CARD_PASSWORD');
    expect(wrong.file).toBe(key);
  });

  it('names a missing directory', async () => {
    const error = await loadError(join(root, 'nowhere'));
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toBe(`card directory ${join(root, 'nowhere')} not found`);
  });

  it('names the missing key file', async () => {
    const dir = variant('no-aut-key');
    rmSync(join(dir, 'aut.key'));
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toMatch(new RegExp(`^${join(dir, 'aut.key')} missing`));
  });

  it('names the directory when a role is missing altogether', async () => {
    const dir = variant('no-osig');
    rmSync(join(dir, 'osig.key'));
    rmSync(join(dir, 'osig.crt'));
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toContain(`${dir}: no OSIG key`);
  });

  it('refuses a key that does not belong to its certificate', async () => {
    const dir = variant('mismatch');
    copyFileSync(join(cardDir, 'enc.key'), join(dir, 'osig.key'));
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toBe(
      `${join(dir, 'osig.key')}: the private key does not belong to the certificate ${join(dir, 'osig.crt')}`,
    );
  });

  it('refuses a certificate whose key usage does not fit its role', async () => {
    const dir = variant('swapped');
    copyFileSync(join(cardDir, 'aut.crt'), join(dir, 'enc.crt'));
    copyFileSync(join(cardDir, 'aut.key'), join(dir, 'enc.key'));
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toMatch(
      /enc\.crt: key usage \(digitalSignature, keyEncipherment\) does not fit an ENC certificate/,
    );
  });

  it('refuses a certificate without the admission extension', async () => {
    const dir = variant('no-admission');
    const made = openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'osig.key'),
      '-out',
      join(dir, 'osig.crt'),
      '-subj',
      '/CN=No Admission',
      '-days',
      '1',
      '-addext',
      'keyUsage=critical,nonRepudiation',
    );
    expect(made.code).toBe(0);
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toBe(
      `${join(dir, 'osig.crt')}: the certificate has no admission extension (1.3.36.8.3.3) with a Telematik-ID`,
    );
    expect(error.file).toBe(join(dir, 'osig.crt'));
  });

  it('refuses a file that is no certificate', async () => {
    const dir = variant('garbage');
    writeFileSync(join(dir, 'aut.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toMatch(new RegExp(`^${join(dir, 'aut.crt')}: not a readable X.509 certificate`));
  });

  it('refuses ENC keys of another institution', async () => {
    const dir = variant('other-id');
    copyFileSync(join(otherDir, 'enc.crt'), join(dir, 'enc-2.crt'));
    copyFileSync(join(otherDir, 'enc.key'), join(dir, 'enc-2.key'));
    const error = await loadError(dir);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toContain(
      `${join(dir, 'enc-2.crt')}: Telematik-ID 3-SMC-B-Testkarte-883110000 differs`,
    );
  });

  it('refuses a card whose OSIG certificate has expired', async () => {
    const error = await loadError(cardDir, { now: yearsFromNow(5.1) });
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toMatch(/osig\.crt: the OSIG certificate expired on /);
  });

  it('keeps an expired ENC key for decrypting older mail but no longer offers its certificate', async () => {
    const dir = variant('old-enc');
    copyFileSync(join(renewedDir, 'enc.crt'), join(dir, 'enc-2.crt'));
    copyFileSync(join(renewedDir, 'enc.key'), join(dir, 'enc-2.key'));
    // in 4.5 years the older ENC certificate (issued a year ago, 5 years valid) has expired
    const later = await SoftwareKonnektor.load(dir, { now: yearsFromNow(4.5) });
    expect(later.encryptionCertificates()).toEqual([der(join(cardDir, 'enc.crt'))]);
    const old = der(join(renewedDir, 'enc.crt'));
    const key = randomBytes(32);
    expect(await later.unwrapContentKey(issuerAndSerialOf(old), wrap(old, key))).toEqual(key);
  });

  it('refuses a card whose only ENC certificate has expired', async () => {
    const dir = variant('only-old-enc');
    copyFileSync(join(renewedDir, 'enc.crt'), join(dir, 'enc.crt'));
    copyFileSync(join(renewedDir, 'enc.key'), join(dir, 'enc.key'));
    const error = await loadError(dir, { now: yearsFromNow(4.5) });
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toMatch(/enc\.crt: no currently valid ENC certificate \(this one expired on /);
  });

  it('ignores other files and subdirectories', async () => {
    const dir = variant('extra-files');
    mkdirSync(join(dir, 'backup'));
    writeFileSync(join(dir, 'README'), 'not a card file');
    expect((await SoftwareKonnektor.load(dir)).card.holderName).toBe(HOLDER);
  });
});
