import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedData, recipientEmailFor } from '../../../adapters/crypto/index.js';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import { flipped, openssl, writeIn } from '../../support/crypto/testPki.js';
import { kim, signedEntity } from './helpers.js';

// The rfc822-wrapped mail of kim-domain §6.1 step 1, with a binary tail that must survive.
const CONTENT = Buffer.concat([
  Buffer.from(
    'Content-Type: message/rfc822\r\n\r\nFrom: praxis@a.kim.telematik\r\nSubject: Befund\r\n\r\nHallo\r\n',
  ),
  Buffer.from([0x00, 0x0d, 0xff, 0x0a, 0x0d, 0x0a]),
]);
const TELEMATIK_ID = '1-2.58.00000040';

let root: string;
let pkiDir: string;
let cardDir: string;
let expiredDir: string;
let files: Record<
  'ours' | 'oursEntity' | 'pss' | 'v15Pem' | 'smime' | 'expired' | 'bundle' | 'detached',
  string
>;
let ours: Buffer;
/** Ours again, but claiming a signing time before the card was issued. */
let backdated: Buffer;
let pss: Buffer;
const SIGNED_AT = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

function opensslSign(dir: string, extra: readonly string[]): Buffer {
  const result = openssl(
    [
      ...['cms', '-sign', '-nodetach', '-binary', '-md', 'sha256'],
      ...['-signer', join(dir, 'osig.crt'), '-inkey', join(dir, 'osig.key'), ...extra],
    ],
    { input: CONTENT },
  );
  expect(result.stderr).toBe('');
  return result.stdout;
}

const PSS = ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32'];

function write(name: string, data: Uint8Array | string): Promise<string> {
  return writeIn(root, name, data);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kim-smime-verify-'));
  pkiDir = join(root, 'pki');
  cardDir = join(root, 'card');
  expiredDir = join(root, 'expired');
  await createDevPki(pkiDir, { domains: ['a.kim.telematik'] });
  await issueDevCard({ pkiDir, telematikId: TELEMATIK_ID, name: 'Praxis Dr. Weiß', outDir: cardDir });
  await issueDevCard({
    pkiDir,
    telematikId: '1-2.58.00000099',
    name: 'Praxis Alt',
    outDir: expiredDir,
    now: new Date('2018-01-01T00:00:00Z'),
  });
  const konnektor = await SoftwareKonnektor.load(cardDir);
  const sign = async (signingTime: Date): Promise<Buffer> =>
    Buffer.concat(
      await createSignedData({
        content: [CONTENT],
        signer: { certificate: konnektor.signingCertificate(), sign: (data) => konnektor.signWithOsig(data) },
        recipientEmails: [
          recipientEmailFor(konnektor.encryptionCertificates()[0]!, 'praxis@a.kim.telematik'),
        ],
        signingTime,
      }),
    );
  ours = await sign(SIGNED_AT);
  backdated = await sign(new Date('2020-05-04T03:02:01Z'));
  pss = opensslSign(cardDir, [...PSS, '-outform', 'DER']);
  files = {
    ours: await write('ours.der', ours),
    oursEntity: await write('ours.entity', signedEntity(ours)),
    pss: await write('pss.der', pss),
    v15Pem: await write('v15.pem', opensslSign(cardDir, ['-outform', 'PEM'])),
    smime: await write('pss.smime', opensslSign(cardDir, PSS)),
    expired: await write('expired.der', opensslSign(expiredDir, [...PSS, '-outform', 'DER'])),
    bundle: await write(
      'bundle.pem',
      Buffer.concat([readFileSync(join(pkiDir, 'ca.crt')), readFileSync(join(pkiDir, 'smcb-ca.crt'))]),
    ),
    detached: await write(
      'detached.smime',
      openssl(['cms', '-sign', '-signer', join(cardDir, 'osig.crt'), '-inkey', join(cardDir, 'osig.key')], {
        input: CONTENT,
      }).stdout,
    ),
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const OK_LINE = new RegExp(
  `^verification: OK \\(RSASSA-PSS, signer CN=Praxis Dr\\. Weiß, Telematik-ID ${TELEMATIK_ID.replaceAll('.', '\\.')}, `,
);

describe('kim smime verify', () => {
  it('verifies our SignedData and writes exactly the signed content', async () => {
    const run = await kim(['smime', 'verify', files.ours]);
    expect(run.code).toBe(0);
    expect(run.stdout.equals(CONTENT)).toBe(true);
    expect(run.stderr).toMatch(OK_LINE);
    expect(run.stderr).toBe(
      `verification: OK (RSASSA-PSS, signer CN=Praxis Dr. Weiß, Telematik-ID ${TELEMATIK_ID}, ` +
        `signed ${SIGNED_AT.toISOString().replace('.000Z', 'Z')}, certificate not checked: no --ca)\n`,
    );
  });

  it('reads the binary signed-data entity that decrypt writes, from standard input', async () => {
    const run = await kim(['smime', 'verify', '-'], signedEntity(ours));
    expect(run.code).toBe(0);
    expect(run.stdout.equals(CONTENT)).toBe(true);
  });

  it('verifies openssl cms -sign output: RSASSA-PSS DER, PKCS#1 v1.5 PEM, S/MIME base64', async () => {
    const pssRun = await kim(['smime', 'verify', files.pss]);
    expect(pssRun.code).toBe(0);
    expect(pssRun.stdout.equals(CONTENT)).toBe(true);
    expect(pssRun.stderr).toMatch(OK_LINE);
    const v15 = await kim(['smime', 'verify', files.v15Pem]);
    expect(v15.code).toBe(0);
    expect(v15.stdout.equals(CONTENT)).toBe(true);
    expect(v15.stderr).toMatch(/^verification: OK \(RSASSA-PKCS1-v1_5, signer CN=Praxis Dr\. Weiß, /);
    const smime = await kim(['smime', 'verify', files.smime]);
    expect(smime.code).toBe(0);
    expect(smime.stdout.equals(CONTENT)).toBe(true);
  });

  it('checks the signer certificate against --ca trust anchors', async () => {
    const smcbCa = join(pkiDir, 'smcb-ca.crt');
    const good = await kim(['smime', 'verify', '--ca', smcbCa, files.ours]);
    expect(good.code).toBe(0);
    expect(good.stdout.equals(CONTENT)).toBe(true);
    expect(good.stderr).toMatch(/, issued by .*CN=.*SMC-B.*\)\n$/);
    const bundle = await kim(['smime', 'verify', '--ca', files.bundle, files.pss]);
    expect(bundle.code).toBe(0);

    const rootOnly = await kim(['smime', 'verify', '--ca', join(pkiDir, 'ca.crt'), files.ours]);
    expect(rootOnly.code).toBe(1);
    expect(rootOnly.stdout.length).toBe(0);
    expect(rootOnly.stderr).toMatch(
      /^verification: FAILED \(certificate: no --ca certificate issued the signer certificate \(its issuer: .*SMC-B.*\)\)\n$/,
    );
  });

  it('fails an expired signer certificate with --ca, and says so', async () => {
    const withoutCa = await kim(['smime', 'verify', files.expired]);
    expect(withoutCa.code).toBe(0);
    const run = await kim(['smime', 'verify', '--ca', join(pkiDir, 'smcb-ca.crt'), files.expired]);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(
      /^verification: FAILED \(certificate: the signer certificate expired on 2023-/,
    );
  });

  it('fails a signing time outside the signer certificate validity with --ca', async () => {
    const smcbCa = join(pkiDir, 'smcb-ca.crt');
    const run = await kim(['smime', 'verify', '--ca', smcbCa], backdated);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(
      /^verification: FAILED \(certificate: signed at 2020-05-04T03:02:01\.000Z, but the signer certificate is not valid before /,
    );
  });

  it('reports altered content and a broken signature without writing the content', async () => {
    const at = ours.indexOf('Subject: Befund');
    const content = await kim(['smime', 'verify'], flipped(ours, at));
    expect(content.code).toBe(1);
    expect(content.stdout.length).toBe(0);
    expect(content.stderr).toBe(
      'verification: FAILED (DIGEST_MISMATCH: content does not match the signed messageDigest)\n',
    );
    // OpenSSL's DER ends with the signature value (no unsigned attributes).
    const signature = await kim(['smime', 'verify'], flipped(pss, -1));
    expect(signature.code).toBe(1);
    expect(signature.stdout.length).toBe(0);
    expect(signature.stderr).toBe('verification: FAILED (BAD_SIGNATURE: signature does not verify)\n');
  });

  it('refuses input that is not an opaque SignedData', async () => {
    const detached = await kim(['smime', 'verify', files.detached]);
    expect(detached.code).toBe(1);
    expect(detached.stderr).toMatch(
      /^kim smime: the input is not a SignedData \(DER, PEM or MIME\): .*multipart\/signed/,
    );
    const text = await kim(['smime', 'verify'], 'hello\n');
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^kim smime: the input is not a SignedData/);
  });

  it('names unreadable files and rejects bad usage', async () => {
    const missing = join(root, 'nope.pem');
    const noCa = await kim(['smime', 'verify', '--ca', missing, files.ours]);
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toBe(`kim smime: cannot read ${missing}: no such file\n`);
    const notCa = await kim(['smime', 'verify', '--ca', files.ours, files.ours]);
    expect(notCa.code).toBe(1);
    expect(notCa.stderr).toMatch(/not a readable X\.509 certificate/);
    const noFile = await kim(['smime', 'verify', missing]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toBe(`kim smime: cannot read ${missing}: no such file\n`);
    const flag = await kim(['smime', 'verify', '--noverify', files.ours]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^kim smime: Unknown option '--noverify'.*\nusage: kim smime verify/);
    const emptyCa = await kim(['smime', 'verify', '--ca', '', files.ours]);
    expect(emptyCa.code).toBe(2);
  });
});
