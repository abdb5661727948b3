import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevCardError } from '../../../adapters/konnektor/devCardError.js';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import type { DevCardResult } from '../../../adapters/konnektor/devCardIssuer.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import { HOLDER, openssl, TELEMATIK_ID, tempPki } from './helpers.js';

describe('issueDevCard', () => {
  let root: string;
  let pkiDir: string;
  let card: DevCardResult;
  const cardDir = (): string => card.dir;

  beforeAll(async () => {
    ({ root, pkiDir } = await tempPki('kim-devcard-'));
    card = await issueDevCard({
      pkiDir,
      telematikId: TELEMATIK_ID,
      name: HOLDER,
      outDir: join(root, 'card'),
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes the three key pairs, keys 0600, and creates the SMC-B CA on first use', () => {
    for (const role of ['osig', 'enc', 'aut']) {
      expect(card.files).toContain(join(cardDir(), `${role}.crt`));
      expect((statSync(join(cardDir(), `${role}.key`)).mode & 0o777).toString(8)).toBe('600');
    }
    expect(card.smcbCa.created).toBe(true);
    expect(card.smcbCa.cert).toBe(join(pkiDir, 'smcb-ca.crt'));
    expect((statSync(join(pkiDir, 'smcb-ca.key')).mode & 0o777).toString(8)).toBe('600');
    expect(card.encryptionCertificates).toHaveLength(1);
  });

  it.each(['osig', 'enc', 'aut'])('issues %s.crt under root → SMC-B CA (openssl verify)', (role) => {
    const result = openssl(
      'verify',
      '-CAfile',
      join(pkiDir, 'ca.crt'),
      '-untrusted',
      join(pkiDir, 'smcb-ca.crt'),
      join(cardDir(), `${role}.crt`),
    );
    expect(result.out).toContain(': OK');
    expect(result.code).toBe(0);
    // without the intermediate the chain does not close
    expect(
      openssl('verify', '-CAfile', join(pkiDir, 'ca.crt'), join(cardDir(), `${role}.crt`)).code,
    ).not.toBe(0);
  });

  it('puts the chain next to the card', () => {
    expect(
      openssl(
        'verify',
        '-CAfile',
        join(cardDir(), 'ca.crt'),
        '-untrusted',
        join(cardDir(), 'smcb-ca.crt'),
        join(cardDir(), 'osig.crt'),
      ).code,
    ).toBe(0);
  });

  it.each([
    ['osig', 'Non Repudiation', '1.2.276.0.76.4.78'],
    ['enc', 'Key Encipherment, Data Encipherment', '1.2.276.0.76.4.76'],
    ['aut', 'Digital Signature, Key Encipherment', '1.2.276.0.76.4.77'],
  ])('%s.crt shows key usage %s, policies and the admission (openssl x509 -text)', (role, usage, policy) => {
    const text = openssl('x509', '-in', join(cardDir(), `${role}.crt`), '-noout', '-text').out;
    expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${usage}\\n`));
    expect(text).toContain(`Policy: ${policy}`);
    expect(text).toContain('Policy: 1.2.276.0.76.4.163');
    expect(text).toContain('Professional Information or basis for Admission');
    expect(text).toContain(`registrationNumber: ${TELEMATIK_ID}`);
    expect(text).toMatch(/Profession OIDs:\s+.*\(1\.2\.276\.0\.76\.4\.50\)/);
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/Subject: C = DE, O = .*, CN = "?Praxis Dr\. M/);
  });

  it('reads back the Telematik-ID and name that were issued', async () => {
    const konnektor = await SoftwareKonnektor.load(cardDir());
    expect(konnektor.card).toEqual({ telematikId: TELEMATIK_ID, holderName: HOLDER });
  });

  it('reuses the SMC-B CA for the next card and refuses to overwrite a card without force', async () => {
    const caBefore = readFileSync(join(pkiDir, 'smcb-ca.crt'), 'utf8');
    const second = await issueDevCard({
      pkiDir,
      telematikId: '5-2.123',
      name: 'Apotheke',
      outDir: join(root, 'second'),
    });
    expect(second.smcbCa.created).toBe(false);
    expect(readFileSync(join(pkiDir, 'smcb-ca.crt'), 'utf8')).toBe(caBefore);
    const again = issueDevCard({
      pkiDir,
      telematikId: '5-2.123',
      name: 'Apotheke',
      outDir: join(root, 'second'),
    });
    await expect(again).rejects.toMatchObject({ code: 'CARD_EXISTS' });
    const forced = await issueDevCard({
      pkiDir,
      telematikId: '5-2.124',
      name: 'Apotheke',
      outDir: join(root, 'second'),
      force: true,
      p12Password: 'pw',
    });
    // the PEM files of the replaced card are gone, only card.p12 remains
    expect(existsSync(join(forced.dir, 'osig.key'))).toBe(false);
    expect(existsSync(join(forced.dir, 'card.p12'))).toBe(true);
    expect((await SoftwareKonnektor.load(forced.dir, { password: 'pw' })).card.telematikId).toBe('5-2.124');
  });

  it.each([
    [{ telematikId: '' }, /invalid Telematik-ID ""/],
    [{ telematikId: '1-2.58.0000004ä' }, /invalid Telematik-ID/],
    [{ telematikId: 'x'.repeat(129) }, /invalid Telematik-ID/],
    [{ name: '  ' }, /invalid name/],
    [{ name: 'a\nb' }, /invalid name/],
    [{ name: 'n'.repeat(65) }, /invalid name/],
    [{ p12Password: '' }, /password must not be empty/],
  ])('rejects %j with CARD_INVALID_INPUT and writes nothing', async (override, message) => {
    const outDir = join(root, 'bad');
    const attempt = issueDevCard({ pkiDir, telematikId: TELEMATIK_ID, name: HOLDER, outDir, ...override });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toMatchObject({ code: 'CARD_INVALID_INPUT' });
    expect(existsSync(outDir)).toBe(false);
  });

  it('needs a dev PKI', async () => {
    const attempt = issueDevCard({
      pkiDir: join(root, 'nopki'),
      telematikId: TELEMATIK_ID,
      name: HOLDER,
      outDir: join(root, 'x'),
    });
    await expect(attempt).rejects.toBeInstanceOf(DevCardError);
    await expect(attempt).rejects.toMatchObject({ code: 'PKI_MISSING' });
  });
  // Last: it replaces the shared PKI's root.
  it('re-creates the SMC-B CA when the root was replaced (kim pki init --force)', async () => {
    await createDevPki(pkiDir, { domains: ['praxis.kim.test'], force: true });
    const after = await issueDevCard({
      pkiDir,
      telematikId: TELEMATIK_ID,
      name: HOLDER,
      outDir: join(root, 'after-new-root'),
    });
    expect(after.smcbCa.created).toBe(true);
    const verify = (cert: string): number | null =>
      openssl('verify', '-CAfile', join(pkiDir, 'ca.crt'), '-untrusted', join(pkiDir, 'smcb-ca.crt'), cert)
        .code;
    expect(verify(join(after.dir, 'enc.crt'))).toBe(0);
    expect(verify(join(cardDir(), 'enc.crt'))).not.toBe(0); // issued under the old root
  });
});
