import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import { flipped, openssl, writeIn } from '../../support/crypto/testPki.js';
import { base64Lines, kim } from './helpers.js';

const SENDER = 'praxis@a.kim.telematik';
const ALICE = 'Alice@b.kim.telematik';
const STRANGER = 'fremd@c.kim.telematik';
const ALICE_PASSWORD = 'alice card pw';

// LF line ends as a client file would have them; the sealer normalises them to CRLF.
const MAIL = Buffer.from(
  `From: ${SENDER}\nTo: ${ALICE}\nSubject: Befund\nDate: Mon, 04 May 2026 05:02:01 +0200\n` +
    'Message-ID: <befund-1@a.kim.telematik>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n' +
    'Sehr geehrte Frau Kollegin,\nanbei der Befund. Grüße\n',
);

let root: string;
let pki: string;
let senderCard: string;
let aliceCard: string;
let strangerCard: string;
let mailPath: string;
/** Sealed by the sender for alice, with recipient-emails (as KIM sends). */
let sealed: Buffer;
let sealedPath: string;

function write(name: string, data: Uint8Array | string): Promise<string> {
  return writeIn(root, name, data);
}

function sealArgs(...extra: string[]): string[] {
  return [
    'smime',
    'seal',
    '--card',
    senderCard,
    '--from',
    SENDER,
    '--to',
    `${ALICE}=${join(aliceCard, 'card.p12.crt')}`,
    ...extra,
  ];
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kim-smime-seal-'));
  pki = join(root, 'pki');
  senderCard = join(root, 'sender');
  aliceCard = join(root, 'alice');
  strangerCard = join(root, 'stranger');
  await createDevPki(pki, { domains: ['a.kim.telematik'] });
  await issueDevCard({
    pkiDir: pki,
    telematikId: '1-2.58.00000040',
    name: 'Praxis Sender',
    outDir: senderCard,
  });
  const alice = await issueDevCard({
    pkiDir: pki,
    telematikId: '1-2.58.00000041',
    name: 'Praxis Alice',
    outDir: aliceCard,
    p12Password: ALICE_PASSWORD,
  });
  await issueDevCard({
    pkiDir: pki,
    telematikId: '1-2.58.00000042',
    name: 'Praxis Fremd',
    outDir: strangerCard,
  });
  // Alice's card is one PKCS#12 file; her ENC certificate is what a sender finds in the directory.
  await writeFile(join(aliceCard, 'card.p12.crt'), alice.encryptionCertificates[0]!);
  mailPath = await write('mail.eml', MAIL);
  const run = await kim([...sealArgs(), mailPath]);
  expect(run.stderr).toBe(`sealed: 2 RecipientInfos for ${ALICE}, ${SENDER}\n`);
  expect(run.code).toBe(0);
  sealed = run.stdout;
  sealedPath = await write('sealed.eml', sealed);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

function header(mail: Buffer): string {
  return mail.subarray(0, mail.indexOf('\r\n\r\n')).toString('latin1');
}

describe('kim smime seal', () => {
  it('writes a KIM message: outer header of §6.2, base64 authenticated-enveloped-data', () => {
    const outer = header(sealed);
    expect(outer).toMatch(/^Subject: KOM-LE-Nachricht$/m);
    expect(outer).toMatch(/^X-KOM-LE-Version: 1\.0$/m);
    expect(outer).toMatch(/^Message-ID: <befund-1@a\.kim\.telematik>$/m);
    expect(outer).toMatch(/^Content-Type: application\/pkcs7-mime; smime-type=authenticated-enveloped-data/m);
    expect(outer).toMatch(/^Content-Transfer-Encoding: base64$/m);
    expect(sealed.includes('Befund\r\n')).toBe(false);
  });

  it('sets Expires from --ttl-days', async () => {
    const run = await kim([...sealArgs('--ttl-days', '7'), mailPath]);
    expect(run.code).toBe(0);
    const expires = /^Expires: (.*)$/m.exec(header(run.stdout))?.[1];
    const days = (Date.parse(expires ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);
  });

  it('with --no-recipient-emails is read by openssl: decrypt, then verify the DER part', async () => {
    const run = await kim([...sealArgs('--no-recipient-emails'), mailPath]);
    expect(run.code).toBe(0);
    const path = await write('for-openssl.eml', run.stdout);
    const decrypted = openssl([
      ...['cms', '-decrypt', '-binary', '-in', path],
      ...['-recip', join(senderCard, 'enc.crt'), '-inkey', join(senderCard, 'enc.key')],
    ]);
    expect(decrypted.stderr).toBe('');
    expect(decrypted.code).toBe(0);
    const entity = decrypted.stdout;
    expect(header(entity)).toMatch(/^Content-Type: application\/pkcs7-mime; smime-type=signed-data/m);
    expect(header(entity)).toMatch(/^Content-Transfer-Encoding: binary$/m);
    const der = entity.subarray(entity.indexOf('\r\n\r\n') + 4);
    const verified = openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER'], { input: der });
    expect(verified.code).toBe(0);
    const wrapped = verified.stdout.toString('utf8');
    expect(wrapped.startsWith('Content-Type: message/rfc822\r\n\r\n')).toBe(true);
    expect(wrapped).toContain('Subject: Befund\r\n');
    expect(wrapped).toContain('anbei der Befund. Grüße\r\n');
  });

  it('is undone by decrypt and verify with the sender copy key', async () => {
    const decrypted = await kim([
      ...['smime', 'decrypt', '--key', join(senderCard, 'enc.key'), '--cert', join(senderCard, 'enc.crt')],
      sealedPath,
    ]);
    expect(decrypted.code).toBe(0);
    const verified = await kim(['smime', 'verify', '--ca', join(pki, 'smcb-ca.crt')], decrypted.stdout);
    expect(verified.code).toBe(0);
    expect(verified.stderr).toMatch(
      /^verification: OK \(RSASSA-PSS, signer CN=Praxis Sender, Telematik-ID 1-2\.58\.00000040, /,
    );
    expect(verified.stdout.toString('utf8')).toMatch(/^Content-Type: message\/rfc822\r\n\r\nFrom: praxis@/);
  });

  it('rejects bad usage with exit 2 and unreadable files with exit 1', async () => {
    const cases: [string[], number, RegExp][] = [
      [['smime', 'seal', '--from', SENDER, '--to', `${ALICE}=x.pem`, mailPath], 2, /--card DIR is required/],
      [
        ['smime', 'seal', '--card', senderCard, '--to', `${ALICE}=x.pem`, mailPath],
        2,
        /--from ADDR is required/,
      ],
      [
        ['smime', 'seal', '--card', senderCard, '--from', SENDER, mailPath],
        2,
        /--to ADDR=CERT\.pem is required/,
      ],
      [[...sealArgs('--to', ALICE), mailPath], 2, /expected ADDR=CERT\.pem/],
      [
        [...sealArgs('--to', 'Alice Arzt <alice@b.kim.telematik>=x.pem'), mailPath],
        2,
        /"Alice Arzt <alice@b\.kim\.telematik>" is not a valid KIM address/,
      ],
      [[...sealArgs('--to', `${ALICE.toLowerCase()}=x.pem`), mailPath], 2, /is given twice/],
      [[...sealArgs('--ttl-days', '0'), mailPath], 2, /--ttl-days: expected 1-365 days/],
      [
        [...sealArgs('--to', `b@b.kim.telematik=${join(root, 'none.pem')}`), mailPath],
        1,
        /cannot read .*none\.pem: no such file/,
      ],
      [
        [
          'smime',
          'seal',
          '--card',
          join(root, 'nocard'),
          '--from',
          SENDER,
          '--to',
          `${ALICE}=${join(aliceCard, 'card.p12.crt')}`,
          mailPath,
        ],
        1,
        /^kim smime: --card: /,
      ],
      [[...sealArgs(), join(root, 'none.eml')], 1, /cannot read .*none\.eml: no such file/],
    ];
    for (const [args, code, message] of cases) {
      const run = await kim(args);
      expect({ args, code: run.code }).toEqual({ args, code });
      expect(run.stderr).toMatch(message);
      expect(run.stdout.length).toBe(0);
    }
  });
});

describe('kim smime open', () => {
  const asAlice = (...extra: string[]): string[] => [
    'smime',
    'open',
    '--card',
    aliceCard,
    '--address',
    ALICE,
    ...extra,
  ];

  it('delivers the inner mail with result headers for the recipient (password from stdin, --ca)', async () => {
    const run = await kim(
      [...asAlice('--ca', join(pki, 'smcb-ca.crt'), '--password-stdin'), sealedPath],
      `${ALICE_PASSWORD}\n`,
    );
    expect(run.stderr).toBe(
      'open: delivered, X-KIM-DecryptionResult 00, X-KIM-IntegrityCheckResult 01 (issued by a trust anchor)\n',
    );
    expect(run.code).toBe(0);
    const mail = run.stdout.toString('utf8');
    expect(mail).toMatch(/^X-KIM-DecryptionResult: 00\r\nX-KIM-IntegrityCheckResult: 01\r\n/);
    expect(mail).toContain('\r\nSubject: Befund\r\n');
    expect(mail.endsWith('\r\n\r\nSehr geehrte Frau Kollegin,\r\nanbei der Befund. Grüße\r\n')).toBe(true);
  });

  it('reports 07 without --ca, with the password from KIM_CARD_PASSWORD and the message on stdin', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', ALICE_PASSWORD);
    const run = await kim(asAlice(), sealed);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^open: delivered, X-KIM-DecryptionResult 00, X-KIM-IntegrityCheckResult 07 /);
    expect(run.stdout.toString('utf8')).toMatch(
      /^X-KIM-DecryptionResult: 00\r\nX-KIM-IntegrityCheckResult: 07\r\n/,
    );
  });

  it('opens the sender copy on the sender card', async () => {
    const run = await kim(['smime', 'open', '--card', senderCard, '--address', SENDER, sealedPath]);
    expect(run.code).toBe(0);
    expect(run.stdout.toString('utf8')).toContain('\r\nSubject: Befund\r\n');
  });

  it('writes an error mail and exits 1 when the card holds no key for the message', async () => {
    const run = await kim(['smime', 'open', '--card', strangerCard, '--address', STRANGER, sealedPath]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^open: error mail, X-KIM-Fehlermeldung 4009, X-KIM-DecryptionResult 01 \(/);
    const mail = run.stdout.toString('utf8');
    expect(mail).toMatch(/^X-KIM-DecryptionResult: 01\r$/m);
    expect(mail).toMatch(/^X-KIM-Fehlermeldung: 4009\r$/m);
    expect(mail).toMatch(/^Content-Type: multipart\/mixed; /m);
  });

  it('writes an error mail (02) for a tampered message', async () => {
    const at = sealed.indexOf('\r\n\r\n') + 4;
    const envelope = Buffer.from(sealed.subarray(at).toString('latin1'), 'base64');
    const tampered = Buffer.concat([
      sealed.subarray(0, at),
      Buffer.from(base64Lines(flipped(envelope, -400))),
    ]);
    vi.stubEnv('KIM_CARD_PASSWORD', ALICE_PASSWORD);
    const run = await kim(asAlice(), tampered);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^open: error mail, X-KIM-Fehlermeldung 4010, X-KIM-DecryptionResult 02 /);
    expect(run.stdout.toString('utf8')).toMatch(/^X-KIM-DecryptionResult: 02\r$/m);
  });

  it('passes a mail without X-KOM-LE-Version through unchanged', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', ALICE_PASSWORD);
    const run = await kim(asAlice(), MAIL);
    expect(run.code).toBe(0);
    expect(run.stdout.equals(MAIL)).toBe(true);
    expect(run.stderr).toBe('open: passed through unchanged (no X-KOM-LE-Version)\n');
  });

  it('fails without output when the card cannot be opened, and rejects bad usage', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', 'wrong');
    const wrong = await kim([...asAlice(), sealedPath]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout.length).toBe(0);
    expect(wrong.stderr).toMatch(/^kim smime: --card: .*card\.p12/);
    const noAddress = await kim(['smime', 'open', '--card', aliceCard, sealedPath]);
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toMatch(/--address ADDR is required/);
    const stdinTwice = await kim([...asAlice('--password-stdin')], sealed);
    expect(stdinTwice.code).toBe(2);
    const badCa = await kim([...asAlice('--ca', join(root, 'none.pem')), sealedPath]);
    expect(badCa.code).toBe(1);
    expect(badCa.stderr).toBe(`kim smime: cannot read ${join(root, 'none.pem')}: no such file\n`);
  });
});
