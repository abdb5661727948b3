import {
  X509Certificate,
  constants,
  createPrivateKey,
  publicEncrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { issuerAndSerialOf } from '../../../adapters/crypto/certificate.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import { writePkcs12 } from '../../../adapters/konnektor/pkcs12/writePkcs12.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { HOLDER, openssl, TELEMATIK_ID, tempPki } from './helpers.js';

const PASSWORD = 'Geheim 123!';
const ROLES = ['osig', 'enc', 'aut'] as const;

describe('SoftwareKonnektor with PKCS#12 files', () => {
  let root: string;
  let pemDir: string;
  let p12Dir: string;

  beforeAll(async () => {
    let pkiDir: string;
    ({ root, pkiDir } = await tempPki('kim-p12-'));
    pemDir = join(root, 'pem');
    p12Dir = join(root, 'p12');
    await issueDevCard({ pkiDir, telematikId: TELEMATIK_ID, name: HOLDER, outDir: pemDir });
    // card.p12 as `kim pki card --p12` writes it, from the same keys (saves generating three more)
    mkdirSync(p12Dir);
    const p12 = writePkcs12({
      entries: ROLES.map((role) => ({
        key: createPrivateKey(readFileSync(join(pemDir, `${role}.key`))),
        certificate: Buffer.from(new X509Certificate(readFileSync(join(pemDir, `${role}.crt`))).raw),
        name: role,
      })),
      chain: [Buffer.from(new X509Certificate(readFileSync(join(pemDir, 'smcb-ca.crt'))).raw)],
      password: PASSWORD,
    });
    writeFileSync(join(p12Dir, 'card.p12'), p12);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  afterEach(() => vi.unstubAllEnvs());

  /** One PKCS#12 file per key made by `openssl pkcs12 -export` (OpenSSL 3 defaults unless `extra`). */
  function opensslCard(name: string, ...extra: string[]): string {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const role of ROLES) {
      const made = openssl(
        'pkcs12',
        '-export',
        '-in',
        join(pemDir, `${role}.crt`),
        '-inkey',
        join(pemDir, `${role}.key`),
        '-certfile',
        join(pemDir, 'smcb-ca.crt'),
        '-name',
        `SMC-B ${role}`,
        '-passout',
        `pass:${PASSWORD}`,
        '-out',
        join(dir, `${role}.p12`),
        ...extra,
      );
      expect(made.out).toBe('');
      expect(made.code).toBe(0);
    }
    return dir;
  }

  async function loadError(dir: string, password?: string): Promise<KonnektorError> {
    const error: unknown = await SoftwareKonnektor.load(dir, password === undefined ? {} : { password }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KonnektorError);
    expect((error as KonnektorError).message).not.toContain('\n');
    return error as KonnektorError;
  }

  /** The card's identity is right and its keys work: a PSS signature and an OAEP unwrap. */
  async function expectWorkingCard(konnektor: SoftwareKonnektor): Promise<void> {
    expect(konnektor.card).toEqual({ telematikId: TELEMATIK_ID, holderName: HOLDER });
    const data = Buffer.from('data');
    const signature = await konnektor.signWithOsig(data);
    const osigKey = new X509Certificate(konnektor.signingCertificate()).publicKey;
    const pss = { key: osigKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', data, pss, signature)).toBe(true);
    const enc = konnektor.encryptionCertificates()[0]!;
    const cek = randomBytes(32);
    const wrapped = publicEncrypt(
      {
        key: new X509Certificate(enc).publicKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      cek,
    );
    expect(await konnektor.unwrapContentKey(issuerAndSerialOf(enc), wrapped)).toEqual(cek);
  }

  /** The keys work and the certificates are those of the PEM files (roles found by key usage). */
  async function expectSameCardAsPem(konnektor: SoftwareKonnektor): Promise<void> {
    await expectWorkingCard(konnektor);
    const pem = await SoftwareKonnektor.load(pemDir);
    expect(konnektor.signingCertificate()).toEqual(pem.signingCertificate());
    expect(konnektor.authenticationCertificate()).toEqual(pem.authenticationCertificate());
    expect(konnektor.encryptionCertificates()).toEqual(pem.encryptionCertificates());
  }

  it('loads PKCS#12 files made by openssl pkcs12 -export (PBES2, AES-256-CBC, HMAC-SHA256)', async () => {
    const dir = opensslCard('openssl');
    const info = openssl(
      'pkcs12',
      '-in',
      join(dir, 'osig.p12'),
      '-passin',
      `pass:${PASSWORD}`,
      '-info',
      '-noout',
    ).out;
    expect(info).toContain('PBES2, PBKDF2, AES-256-CBC');
    expect(info).toContain('MAC: sha256');
    await expectSameCardAsPem(await SoftwareKonnektor.load(dir, { password: PASSWORD }));
  });

  it('loads its own card.p12 (kim pki card --p12), one file with all three keys', async () => {
    expect(readFileSync(join(p12Dir, 'card.p12')).length).toBeGreaterThan(1000);
    await expectSameCardAsPem(await SoftwareKonnektor.load(p12Dir, { password: PASSWORD }));
  });

  it('writes a card.p12 that openssl reads: three keys, their certificates and the SMC-B CA', () => {
    const dump = openssl(
      'pkcs12',
      '-in',
      join(p12Dir, 'card.p12'),
      '-passin',
      `pass:${PASSWORD}`,
      '-nodes',
      '-info',
    );
    expect(dump.code).toBe(0);
    expect(dump.out.match(/-----BEGIN PRIVATE KEY-----/g)).toHaveLength(3);
    expect(dump.out.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(4);
    expect(dump.out).toContain('MAC: sha256');
    expect(dump.out).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC');
    for (const role of ROLES) expect(dump.out).toContain(`friendlyName: ${role}`);
    expect(
      openssl('pkcs12', '-in', join(p12Dir, 'card.p12'), '-passin', 'pass:wrong', '-noout').code,
    ).not.toBe(0);
  });

  it('takes the password from KIM_CARD_PASSWORD when no option gives it', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', PASSWORD);
    expect((await SoftwareKonnektor.load(p12Dir)).card.telematikId).toBe(TELEMATIK_ID);
  });

  it('says which file needs a password', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', undefined);
    const error = await loadError(p12Dir);
    expect(error.code).toBe('CARD_PASSWORD');
    expect(error.message).toBe(
      `${join(p12Dir, 'card.p12')} needs a password (option password or KIM_CARD_PASSWORD)`,
    );
  });

  it.each([
    ['its own card.p12', () => p12Dir, 'card.p12'],
    ['an openssl PKCS#12', () => join(root, 'openssl'), 'aut.p12'],
  ])('rejects a wrong password for %s with CARD_PASSWORD naming the file', async (_what, dir, file) => {
    const error = await loadError(dir(), 'wrong password');
    expect(error.code).toBe('CARD_PASSWORD');
    expect(error.message).toBe(
      `${join(dir(), file)}: cannot be opened: wrong password (the integrity check failed)`,
    );
    expect(error.file).toBe(join(dir(), file));
  });

  it('reads files with a SHA-1 MAC and files without a MAC', async () => {
    expect(
      (await SoftwareKonnektor.load(opensslCard('sha1mac', '-macalg', 'sha1'), { password: PASSWORD })).card
        .telematikId,
    ).toBe(TELEMATIK_ID);
    expect(
      (await SoftwareKonnektor.load(opensslCard('nomac', '-nomac'), { password: PASSWORD })).card.telematikId,
    ).toBe(TELEMATIK_ID);
  });

  it('explains that legacy PKCS#12 encryption is not supported', async () => {
    const dir = opensslCard(
      'legacy',
      '-keypbe',
      'PBE-SHA1-3DES',
      '-certpbe',
      'PBE-SHA1-3DES',
      '-macalg',
      'sha1',
    );
    const error = await loadError(dir, PASSWORD);
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toBe(
      `${join(dir, 'aut.p12')}: uses the legacy encryption pbeWithSHAAnd3-KeyTripleDES-CBC; only PBES2 (PBKDF2 + AES-CBC) ` +
        "is supported: re-export it with OpenSSL 3 defaults ('openssl pkcs12 -export' without -legacy)",
    );
  });

  it('refuses a PKCS#12 file whose key has no certificate', async () => {
    const dir = opensslCard('nocert');
    const made = openssl(
      'pkcs12',
      '-export',
      '-nocerts',
      '-inkey',
      join(pemDir, 'aut.key'),
      '-passout',
      `pass:${PASSWORD}`,
      '-out',
      join(dir, 'aut.p12'),
    );
    expect(made.code).toBe(0);
    const error = await loadError(dir, PASSWORD);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toBe(`${join(dir, 'aut.p12')}: holds a private key without its certificate`);
  });

  it('refuses a second OSIG key (card.p12 next to osig.crt/osig.key)', async () => {
    const dir = opensslCard('twice');
    writeFileSync(join(dir, 'osig.crt'), readFileSync(join(pemDir, 'osig.crt')));
    writeFileSync(join(dir, 'osig.key'), readFileSync(join(pemDir, 'osig.key')));
    const error = await loadError(dir, PASSWORD);
    expect(error.code).toBe('CARD_INVALID');
    expect(error.message).toBe(
      `${join(dir, 'osig.p12')}: a second OSIG key (the first is in ${join(dir, 'osig.key')})`,
    );
  });

  it('refuses a file that is not PKCS#12', async () => {
    const dir = opensslCard('broken');
    writeFileSync(join(dir, 'enc.p12'), 'not a pfx');
    const error = await loadError(dir, PASSWORD);
    expect(error.code).toBe('CARD_UNREADABLE');
    expect(error.message).toBe(
      `${join(dir, 'enc.p12')}: is not a valid PKCS#12 file (cannot parse the PFX structure)`,
    );
  });
});
