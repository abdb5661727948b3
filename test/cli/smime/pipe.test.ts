import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthEnvelopedData,
  createSignedData,
  recipientEmailFor,
} from '../../../adapters/crypto/index.js';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { createDevPki } from '../../../adapters/tls/devPki.js';
import { flipped } from '../../support/crypto/testPki.js';
import { kimMail, kimProcess, shellPipeline, signedEntity } from './helpers.js';

// Real processes: proves that binary output survives process.stdout and a shell pipe.
const WRAPPED = Buffer.concat([
  Buffer.from('Content-Type: message/rfc822\r\n\r\nFrom: praxis@a.kim.telematik\r\nSubject: x\r\n\r\n'),
  Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256)),
]);

let root: string;
let card: string;
let pki: string;
let mailPath: string;
let mail: Buffer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kim-smime-pipe-'));
  pki = join(root, 'pki');
  card = join(root, 'card');
  await createDevPki(pki, { domains: ['a.kim.telematik'] });
  await issueDevCard({ pkiDir: pki, telematikId: '1-2.58.00000040', name: 'Praxis Pipe', outDir: card });
  const konnektor = await SoftwareKonnektor.load(card);
  const enc = konnektor.encryptionCertificates()[0]!;
  const recipientEmails = [recipientEmailFor(enc, 'praxis@a.kim.telematik')];
  const signed = await createSignedData({
    content: [WRAPPED],
    signer: { certificate: konnektor.signingCertificate(), sign: (data) => konnektor.signWithOsig(data) },
    recipientEmails,
  });
  const envelope = createAuthEnvelopedData({
    content: [signedEntity(Buffer.concat(signed))],
    recipients: [{ certificate: enc, email: 'praxis@a.kim.telematik' }],
  });
  mail = kimMail(Buffer.concat(envelope.chunks));
  mailPath = join(root, 'kim.eml');
  await writeFile(mailPath, mail);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kim smime in real processes', () => {
  it('decrypt | verify through a shell pipe yields the rfc822-wrapped mail byte for byte', async () => {
    const run = await shellPipeline(
      `kim smime decrypt --key ${card}/enc.key --cert ${card}/enc.crt < ${mailPath} | ` +
        `kim smime verify --ca ${pki}/smcb-ca.crt`,
    );
    expect(run.stderr).toMatch(
      /^verification: OK \(RSASSA-PSS, signer CN=Praxis Pipe, Telematik-ID 1-2\.58\.00000040, /,
    );
    expect(run.code).toBe(0);
    expect(run.stdout.equals(WRAPPED)).toBe(true);
  });

  it('seal | open through a shell pipe delivers the mail with result headers', async () => {
    const clientMail = join(root, 'client.eml');
    await writeFile(
      clientMail,
      'From: praxis@a.kim.telematik\r\nTo: praxis@a.kim.telematik\r\nSubject: an mich\r\n\r\nNotiz\r\n',
    );
    const run = await shellPipeline(
      `kim smime seal --card ${card} --from praxis@a.kim.telematik ` +
        `--to praxis@a.kim.telematik=${card}/enc.crt ${clientMail} | ` +
        `kim smime open --card ${card} --address praxis@a.kim.telematik --ca ${pki}/smcb-ca.crt`,
    );
    expect(run.stderr).toBe(
      'sealed: 1 RecipientInfo for praxis@a.kim.telematik\n' +
        'open: delivered, X-KIM-DecryptionResult 00, X-KIM-IntegrityCheckResult 01 (issued by a trust anchor)\n',
    );
    expect(run.code).toBe(0);
    const mail = run.stdout.toString('utf8');
    expect(mail).toMatch(/^X-KIM-DecryptionResult: 00\r\nX-KIM-IntegrityCheckResult: 01\r\n/);
    expect(mail).toMatch(/\r\nSubject: an mich\r\n[^]*\r\n\r\nNotiz\r\n$/);
  });

  it('seals and opens standard input redirected from a file, from where its reader stands', async () => {
    // `read` leaves the offset after the first line: the tools must start there, not at 0.
    const clientMail = join(root, 'client-after-a-line.eml');
    await writeFile(
      clientMail,
      'not part of the mail\n' +
        'From: praxis@a.kim.telematik\r\nTo: praxis@a.kim.telematik\r\nSubject: von stdin\r\n\r\n' +
        `${'Befund '.repeat(50_000)}\r\n`,
    );
    const sealed = join(root, 'sealed-after-a-line.eml');
    const run = await shellPipeline(
      `{ read -r skipped; kim smime seal --card ${card} --from praxis@a.kim.telematik ` +
        `--to praxis@a.kim.telematik=${card}/enc.crt; } < ${clientMail} > ${sealed} && ` +
        `{ printf '\\n'; cat ${sealed}; } > ${sealed}.2 && ` +
        `{ read -r skipped; kim smime open --card ${card} --address praxis@a.kim.telematik; } < ${sealed}.2`,
    );
    expect(run.stderr).toMatch(/^sealed: 1 RecipientInfo for praxis@a.kim.telematik\nopen: delivered, /);
    expect(run.code).toBe(0);
    const mail = run.stdout.toString('latin1');
    expect(mail).toMatch(/\r\nFrom: praxis@a\.kim\.telematik\r\n/);
    expect(mail).not.toContain('not part of the mail');
    expect(mail.endsWith(`${'Befund '.repeat(50_000)}\r\n`)).toBe(true);
  });

  it('exits 1 with a one-line message and no output for a tampered mail', () => {
    const tampered = kimProcess(
      ['smime', 'decrypt', '--key', join(card, 'enc.key'), '--cert', join(card, 'enc.crt')],
      {
        input: kimMail(
          flipped(Buffer.from(mail.subarray(mail.indexOf('\r\n\r\n') + 4).toString(), 'base64'), 5000),
        ),
      },
    );
    expect(tampered.stderr).toBe('kim smime: authentication failed: the message was altered or damaged\n');
    expect(tampered.code).toBe(1);
    expect(tampered.stdout.length).toBe(0);
  });
});
