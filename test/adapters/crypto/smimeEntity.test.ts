import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSignedData,
  recipientEmailFor,
  signedDataBytesFrom,
  verifySignedData,
} from '../../../adapters/crypto/index.js';
import { concat, createTestPki, openssl, pssSigner } from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';

const CONTENT = Buffer.from('Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nline\nlone LF, lone CR\r');

let pki: TestPki;
let signer: TestIdentity;
let inputPath: string;
let der: Buffer;

function verifiedContent(input: Buffer): Buffer {
  const result = verifySignedData(signedDataBytesFrom(input));
  if (!result.valid) throw new Error(`${result.code}: ${result.reason}`);
  return concat(result.content);
}

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue('osig', { usage: 'signing' });
  const enc = await pki.issue('enc');
  der = concat(
    await createSignedData({
      content: [CONTENT],
      signer: pssSigner(signer),
      recipientEmails: [recipientEmailFor(enc.certificate, 'a@b.kim.telematik')],
    }),
  );
  inputPath = join(pki.dir, 'content.bin');
  await writeFile(inputPath, CONTENT);
});
afterAll(() => pki.cleanup());

const sign = (...extra: string[]): Buffer => {
  const result = openssl([
    'cms',
    '-sign',
    '-md',
    'sha256',
    '-signer',
    signer.certPath,
    '-inkey',
    signer.keyPath,
    '-nodetach',
    '-binary',
    '-in',
    inputPath,
    ...extra,
  ]);
  expect(result.code).toBe(0);
  return result.stdout;
};

describe('signedDataBytesFrom', () => {
  it('passes DER through as the same memory', () => {
    const bytes = signedDataBytesFrom(der);
    expect(bytes.buffer).toBe(der.buffer);
    expect(bytes.equals(der)).toBe(true);
  });

  it('unwraps PEM with the CMS label (openssl cms -outform PEM)', () => {
    const pem = sign('-outform', 'PEM');
    expect(pem.toString()).toContain('-----BEGIN CMS-----');
    expect(verifiedContent(pem).equals(CONTENT)).toBe(true);
  });

  it('unwraps PEM with the PKCS7 label (openssl smime -outform PEM)', () => {
    const result = openssl([
      'smime',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      '-nodetach',
      '-binary',
      '-outform',
      'PEM',
      '-in',
      inputPath,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('-----BEGIN PKCS7-----');
    expect(verifiedContent(result.stdout).equals(CONTENT)).toBe(true);
  });

  it('unwraps an application/pkcs7-mime entity with base64 transfer encoding (openssl S/MIME output)', () => {
    const smime = sign('-outform', 'SMIME');
    expect(smime.toString()).toMatch(/Content-Transfer-Encoding: base64/);
    expect(verifiedContent(smime).equals(CONTENT)).toBe(true);
  });

  it('unwraps the KIM signed entity with binary transfer encoding, without touching line ends', () => {
    const entity = Buffer.concat([
      Buffer.from(
        'MIME-Version: 1.0\r\n' +
          'Content-Type: application/pkcs7-mime; smime-type=signed-data;\r\n name=smime.p7m\r\n' +
          'Content-Transfer-Encoding: binary\r\n' +
          'Content-Disposition: attachment; filename=smime.p7m\r\n\r\n',
      ),
      der,
    ]);
    const bytes = signedDataBytesFrom(entity);
    expect(bytes.equals(der)).toBe(true);
    expect(bytes.buffer).toBe(entity.buffer);
    expect(verifiedContent(entity).equals(CONTENT)).toBe(true);
  });

  it('rejects other entities and encodings with FORMAT', () => {
    const entity = (headers: string): Buffer => Buffer.concat([Buffer.from(`${headers}\r\n\r\n`), der]);
    for (const input of [
      entity('Content-Type: text/plain'),
      entity('Content-Type: application/pkcs7-mime; smime-type=authenticated-enveloped-data'),
      entity('Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: quoted-printable'),
      Buffer.from('no header end at all'),
      Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    ]) {
      expect(() => signedDataBytesFrom(input)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
    }
  });
});
