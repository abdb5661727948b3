import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthEnvelopedData } from '../../../adapters/crypto/index.js';
import { createTestPki, flipped, openssl, writeIn } from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';
import { kim, kimMail } from './helpers.js';

// Stands in for the signed-data entity: binary, with lone CR and LF bytes that must survive.
const CONTENT = Buffer.concat([
  Buffer.from('MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\n'),
  Buffer.from(Array.from({ length: 2500 }, (_, i) => (i * 13) % 256)),
  Buffer.from('\n\r\r\n'),
]);

let pki: TestPki;
let alice: TestIdentity;
let bob: TestIdentity;
let stranger: TestIdentity;
/** Ours: BER AuthEnvelopedData for alice and bob, with recipient-emails. */
let envelope: Buffer;
let paths: Record<'mail' | 'der' | 'pem' | 'openssl' | 'opensslDer' | 'pkcs1' | 'signed', string>;

function write(name: string, data: Uint8Array | string): Promise<string> {
  return writeIn(pki.dir, name, data);
}

function opensslEncrypt(recipient: TestIdentity, extra: readonly string[]): Buffer {
  const result = openssl(
    ['cms', '-encrypt', '-aes-256-gcm', '-binary', '-recip', recipient.certPath, ...extra],
    { input: CONTENT },
  );
  expect(result.stderr).toBe('');
  return result.stdout;
}

const OAEP = [
  '-keyopt',
  'rsa_padding_mode:oaep',
  '-keyopt',
  'rsa_oaep_md:sha256',
  '-keyopt',
  'rsa_mgf1_md:sha256',
];

beforeAll(async () => {
  pki = await createTestPki();
  [alice, bob, stranger] = await Promise.all([
    pki.issue('alice-enc', { serial: '0x80ff' }),
    pki.issue('bob-enc'),
    pki.issue('stranger-enc'),
  ]);
  envelope = Buffer.concat(
    createAuthEnvelopedData({
      content: [CONTENT.subarray(0, 1000), CONTENT.subarray(1000)],
      recipients: [
        { certificate: alice.certificate, email: 'alice@b.kim.telematik' },
        { certificate: bob.certificate, email: 'bob@c.kim.telematik' },
      ],
    }).chunks,
  );
  paths = {
    mail: await write('ours.eml', kimMail(envelope)),
    der: await write('ours.der', envelope),
    pem: await write(
      'ours.pem',
      `-----BEGIN CMS-----\n${(envelope.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CMS-----\n`,
    ),
    openssl: await write('openssl.smime', opensslEncrypt(alice, OAEP)),
    opensslDer: await write('openssl.der', opensslEncrypt(alice, [...OAEP, '-outform', 'DER'])),
    pkcs1: await write('pkcs1.der', opensslEncrypt(alice, ['-outform', 'DER'])),
    signed: await write(
      'signed.smime',
      openssl(['cms', '-sign', '-nodetach', '-binary', '-signer', alice.certPath, '-inkey', alice.keyPath], {
        input: CONTENT,
      }).stdout,
    ),
  };
});
afterAll(() => pki.cleanup());
afterEach(() => vi.unstubAllEnvs());

const asAlice = (): string[] => ['smime', 'decrypt', '--key', alice.keyPath, '--cert', alice.certPath];

describe('kim smime decrypt', () => {
  it('writes exactly the recovered content of our KIM mail, for every recipient', async () => {
    for (const who of [alice, bob]) {
      const run = await kim(['smime', 'decrypt', '--key', who.keyPath, '--cert', who.certPath, paths.mail]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.equals(CONTENT)).toBe(true);
    }
  });

  it('reads the bare BER CMS from standard input and PEM from a file', async () => {
    const fromStdin = await kim([...asAlice(), '-'], envelope);
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.equals(CONTENT)).toBe(true);
    const implicitStdin = await kim(asAlice(), envelope);
    expect(implicitStdin.stdout.equals(CONTENT)).toBe(true);
    const pem = await kim([...asAlice(), paths.pem]);
    expect(pem.code).toBe(0);
    expect(pem.stdout.equals(CONTENT)).toBe(true);
  });

  it('decrypts what openssl cms -encrypt -aes-256-gcm (OAEP SHA-256) writes, S/MIME and DER', async () => {
    for (const path of [paths.openssl, paths.opensslDer]) {
      const run = await kim([...asAlice(), path]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.equals(CONTENT)).toBe(true);
    }
  });

  it('refuses a tampered ciphertext without writing anything', async () => {
    // The last bytes before the tag and unauthAttrs are ciphertext; flip one deep inside instead.
    const tampered = flipped(envelope, Math.floor(envelope.length / 2));
    const run = await kim(asAlice(), tampered);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toBe('kim smime: authentication failed: the message was altered or damaged\n');
  });

  it('refuses a tampered base64 mail body the same way', async () => {
    const mail = kimMail(flipped(envelope, Math.floor(envelope.length / 2)));
    const run = await kim(asAlice(), mail);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(/altered or damaged/);
  });

  it('names the certificate that has no RecipientInfo', async () => {
    const run = await kim([
      'smime',
      'decrypt',
      '--key',
      stranger.keyPath,
      '--cert',
      stranger.certPath,
      paths.der,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(
      /^kim smime: no RecipientInfo for this certificate \(serial [0-9a-f]+, issuer C=DE, O=gematik GmbH NOT-VALID, .*\); the message has 2 RecipientInfos\n$/,
    );
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const run = await kim(['smime', 'decrypt', '--key', bob.keyPath, '--cert', alice.certPath, paths.der]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`kim smime: ${bob.keyPath} is not the private key of ${alice.certPath}\n`);
  });

  it('says when the RecipientInfo uses RSA PKCS#1 v1.5 instead of OAEP', async () => {
    const run = await kim([...asAlice(), paths.pkcs1]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /not RSAES-OAEP with SHA-256 \(keyEncryptionAlgorithm 1\.2\.840\.113549\.1\.1\.1\)/,
    );
  });

  it('points to verify when handed a signed-data entity, and refuses other input', async () => {
    const signed = await kim([...asAlice(), paths.signed]);
    expect(signed.code).toBe(1);
    expect(signed.stderr).toMatch(/signed-data, not encrypted; use 'kim smime verify'/);
    const text = await kim(asAlice(), 'Subject: hello\r\n\r\nnot encrypted\r\n');
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/not an encrypted KIM message \(Content-Type is missing/);
    const garbage = await kim(asAlice(), Buffer.from([0x30, 0x03, 0x02, 0x01]));
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/^kim smime: the input is not a readable AuthEnvelopedData: /);
    const empty = await kim(asAlice(), '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('kim smime: standard input is empty\n');
  });

  it('names an unreadable message, key or certificate file', async () => {
    const missing = join(pki.dir, 'missing.eml');
    const run = await kim([...asAlice(), missing]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`kim smime: cannot read ${missing}: no such file\n`);
    const directory = await kim([...asAlice(), pki.dir]);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toBe(`kim smime: cannot read ${pki.dir}: is a directory\n`);
    const noKey = await kim(['smime', 'decrypt', '--key', missing, '--cert', alice.certPath, paths.der]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toBe(`kim smime: cannot read ${missing}: no such file\n`);
    const badCert = await kim(['smime', 'decrypt', '--key', alice.keyPath, '--cert', paths.mail, paths.der]);
    expect(badCert.code).toBe(1);
    expect(badCert.stderr).toMatch(
      new RegExp(`^kim smime: ${paths.mail}: not a readable X\\.509 certificate`),
    );
  });

  it('takes the password of an encrypted key from KIM_CARD_PASSWORD or --password-stdin', async () => {
    const encrypted = join(pki.dir, 'alice-encrypted.key');
    const made = openssl([
      'pkcs8',
      '-topk8',
      '-in',
      alice.keyPath,
      '-out',
      encrypted,
      '-passout',
      'pass:geheim 1',
    ]);
    expect(made.code).toBe(0);
    const args = ['smime', 'decrypt', '--key', encrypted, '--cert', alice.certPath];

    const noPassword = await kim([...args, paths.der]);
    expect(noPassword.code).toBe(1);
    expect(noPassword.stderr).toMatch(/is encrypted: set KIM_CARD_PASSWORD or use --password-stdin/);

    vi.stubEnv('KIM_CARD_PASSWORD', 'geheim 1');
    const fromEnv = await kim([...args, paths.der]);
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout.equals(CONTENT)).toBe(true);

    vi.stubEnv('KIM_CARD_PASSWORD', 'wrong');
    const fromStdin = await kim([...args, '--password-stdin', paths.der], 'geheim 1\nrest\n');
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.equals(CONTENT)).toBe(true);

    const wrong = await kim([...args, paths.der]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`kim smime: ${encrypted}: wrong password (or not a readable private key)\n`);
  });

  it('rejects bad usage with exit 2', async () => {
    const noKey = await kim(['smime', 'decrypt', '--cert', alice.certPath, paths.der]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^kim smime: --key K\.pem is required/);
    const noCert = await kim(['smime', 'decrypt', '--key', alice.keyPath, paths.der]);
    expect(noCert.code).toBe(2);
    const unknown = await kim([...asAlice(), '--verbose', paths.der]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^kim smime: Unknown option '--verbose'/);
    const twoFiles = await kim([...asAlice(), paths.der, paths.mail]);
    expect(twoFiles.code).toBe(2);
    expect(twoFiles.stderr).toMatch(/only one FILE may be given/);
    const passwordAndStdin = await kim([...asAlice(), '--password-stdin'], envelope);
    expect(passwordAndStdin.code).toBe(2);
    expect(passwordAndStdin.stderr).toMatch(/--password-stdin needs the message in a FILE/);
    const unknownSub = await kim(['smime', 'unwrap']);
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.stderr).toMatch(/^kim smime: unknown smime command 'unwrap'/);
  });

  it('documents itself', async () => {
    const help = await kim(['smime', 'decrypt', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/^usage: kim smime decrypt --key K\.pem --cert C\.pem/);
    const list = await kim(['smime']);
    expect(list.code).toBe(2);
    expect(list.stdout.toString()).toMatch(/decrypt.*\n.*verify/s);
  });
});
