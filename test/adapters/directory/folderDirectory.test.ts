import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryError } from '../../../adapters/directory/errors.js';
import {
  FolderCertificateDirectory,
  openFolderDirectory,
} from '../../../adapters/directory/folderDirectory.js';
import { publishEncryptionCertificates } from '../../../adapters/directory/publish.js';
import { openssl } from '../tls/helpers.js';

/** A small self-signed certificate made by openssl (the directory does not care about its kind). */
function makeCert(dir: string, cn: string): { pem: string; der: Buffer } {
  const pemFile = join(dir, `${cn}.cert`);
  const made = openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, `${cn}.key`),
    '-out',
    pemFile,
    '-subj',
    `/CN=${cn}`,
    '-days',
    '1',
  );
  expect(made.code).toBe(0);
  const pem = readFileSync(pemFile, 'utf8');
  return { pem, der: Buffer.from(new X509Certificate(pem).raw) };
}

async function failure(promise: Promise<unknown>): Promise<DirectoryError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DirectoryError);
  expect((error as DirectoryError).message).not.toContain('\n');
  return error as DirectoryError;
}

describe('folder certificate directory', () => {
  let root: string;
  let certs: { pem: string; der: Buffer }[];
  let folder: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'kim-dir-'));
    const made = join(root, 'made');
    mkdirSync(made);
    certs = ['one', 'two', 'three'].map((cn) => makeCert(made, cn));
    folder = join(root, 'vzd');
    mkdirSync(folder);
    writeFileSync(join(folder, 'praxis@a.kim.test.pem'), `# ENC of Praxis A\n${certs[0]!.pem}`);
    writeFileSync(join(folder, 'Empfang.Zwei@B.Kim.Test.pem'), certs[1]!.pem + certs[2]!.pem);
    writeFileSync(join(folder, 'README.txt'), 'not a certificate file');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the DER certificates of an address', async () => {
    const directory = await openFolderDirectory(folder);
    expect(await directory.encryptionCertificates('praxis@a.kim.test')).toEqual([certs[0]!.der]);
    expect(await directory.encryptionCertificates('empfang.zwei@b.kim.test')).toEqual([
      certs[1]!.der,
      certs[2]!.der,
    ]);
  });

  it('compares addresses case-insensitively, in the lookup and in file names', async () => {
    const directory = await openFolderDirectory(folder);
    expect(await directory.encryptionCertificates('PRAXIS@A.KIM.TEST')).toEqual([certs[0]!.der]);
    expect(await directory.encryptionCertificates('Empfang.Zwei@b.kim.test')).toHaveLength(2);
  });

  it('answers an unknown or malformed address with no certificates', async () => {
    const directory = await openFolderDirectory(folder);
    expect(await directory.encryptionCertificates('nobody@a.kim.test')).toEqual([]);
    for (const address of ['../README.txt', 'README', 'a/b@a.kim.test', '..@a.kim.test', '', 'praxis@a'])
      expect(await directory.encryptionCertificates(address)).toEqual([]);
  });

  it('is addressable by a file: URL', async () => {
    const byString = await openFolderDirectory(pathToFileURL(folder).href);
    expect(byString.folder).toBe(folder);
    expect(await byString.encryptionCertificates('praxis@a.kim.test')).toEqual([certs[0]!.der]);
    const byUrl = new FolderCertificateDirectory(pathToFileURL(folder));
    expect(await byUrl.encryptionCertificates('praxis@a.kim.test')).toEqual([certs[0]!.der]);
  });

  it('refuses locations that are not folders', async () => {
    expect(() => new FolderCertificateDirectory('ldap://vzd.example:636/')).toThrow(DirectoryError);
    const missing = await failure(openFolderDirectory(join(root, 'missing')));
    expect(missing.code).toBe('DIRECTORY_UNREADABLE');
    expect(missing.message).toBe(`certificate directory ${join(root, 'missing')} not found`);
    const gone = new FolderCertificateDirectory(join(root, 'missing'));
    expect((await failure(gone.encryptionCertificates('praxis@a.kim.test'))).code).toBe(
      'DIRECTORY_UNREADABLE',
    );
  });

  it('names a bad file, keeps answering for the others, and recovers when it is fixed', async () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    const bad = join(dir, 'broken@a.kim.test.pem');
    writeFileSync(bad, 'no certificate here\n');
    writeFileSync(join(dir, 'good@a.kim.test.pem'), certs[0]!.pem);
    const directory = await openFolderDirectory(dir, { listingTtlMs: 60_000 });
    const error = await failure(directory.encryptionCertificates('Broken@a.kim.test'));
    expect(error.code).toBe('BAD_CERTIFICATE_FILE');
    expect(error.message).toBe(`${bad}: holds no PEM certificate (no BEGIN CERTIFICATE block)`);
    expect(error.path).toBe(bad);
    expect(await directory.encryptionCertificates('good@a.kim.test')).toEqual([certs[0]!.der]);

    writeFileSync(bad, certs[0]!.pem.replace(/^(.{30})./m, '$1!'));
    expect((await failure(directory.encryptionCertificates('broken@a.kim.test'))).message).toBe(
      `${bad}: certificate 1 is not valid base64`,
    );
    writeFileSync(bad, certs[0]!.pem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\nAAAA\n'));
    expect((await failure(directory.encryptionCertificates('broken@a.kim.test'))).message).toBe(
      `${bad}: certificate 1 is not a readable X.509 certificate`,
    );
    writeFileSync(bad, certs[1]!.pem);
    expect(await directory.encryptionCertificates('broken@a.kim.test')).toEqual([certs[1]!.der]);
  });

  it('re-reads a file that changed, and forgets one that was removed', async () => {
    const dir = join(root, 'changing');
    const directory = new FolderCertificateDirectory(dir, { listingTtlMs: 60_000 });
    await publishEncryptionCertificates(dir, 'praxis@a.kim.test', [certs[0]!.der]);
    expect(await directory.encryptionCertificates('praxis@a.kim.test')).toEqual([certs[0]!.der]);
    await publishEncryptionCertificates(dir, 'praxis@a.kim.test', [certs[1]!.der, certs[2]!.der]);
    expect(await directory.encryptionCertificates('praxis@a.kim.test')).toEqual([
      certs[1]!.der,
      certs[2]!.der,
    ]);
    rmSync(join(dir, 'praxis@a.kim.test.pem'));
    expect(await directory.encryptionCertificates('praxis@a.kim.test')).toEqual([]);
  });

  it('sees new files once its folder listing has expired (here: at once)', async () => {
    const dir = join(root, 'growing');
    mkdirSync(dir);
    const directory = await openFolderDirectory(dir, { listingTtlMs: 0 });
    expect(await directory.encryptionCertificates('new@a.kim.test')).toEqual([]);
    writeFileSync(join(dir, 'NEW@a.kim.test.pem'), certs[2]!.pem);
    expect(await directory.encryptionCertificates('new@a.kim.test')).toEqual([certs[2]!.der]);
  });

  it('refuses two files that spell the same address differently', async () => {
    const dir = join(root, 'twice');
    mkdirSync(dir);
    writeFileSync(join(dir, 'praxis@a.kim.test.pem'), certs[0]!.pem);
    writeFileSync(join(dir, 'Praxis@a.kim.test.pem'), certs[1]!.pem);
    const error = await failure((await openFolderDirectory(dir)).encryptionCertificates('praxis@a.kim.test'));
    expect(error.code).toBe('DUPLICATE_ADDRESS');
    expect(error.message).toContain(join(dir, 'Praxis@a.kim.test.pem'));
  });

  describe('publishEncryptionCertificates', () => {
    it('writes <address>.pem in lower case, readable by openssl', async () => {
      const dir = join(root, 'published');
      const file = await publishEncryptionCertificates(dir, 'Praxis.Eins@A.kim.test', [
        certs[0]!.der,
        certs[1]!.der,
      ]);
      expect(file).toBe(join(dir, 'praxis.eins@a.kim.test.pem'));
      const listed = openssl('storeutl', '-certs', file);
      expect(listed.code).toBe(0);
      expect(listed.out).toContain('Total found: 2');
      const directory = await openFolderDirectory(pathToFileURL(dir));
      expect(await directory.encryptionCertificates('praxis.eins@a.kim.test')).toEqual([
        certs[0]!.der,
        certs[1]!.der,
      ]);
    });

    it('replaces a file that spells the address in other case', async () => {
      const dir = join(root, 'respelled');
      mkdirSync(dir);
      writeFileSync(join(dir, 'Praxis@a.kim.test.pem'), certs[0]!.pem);
      await publishEncryptionCertificates(dir, 'praxis@a.kim.test', [certs[1]!.der]);
      const directory = await openFolderDirectory(dir);
      expect(await directory.encryptionCertificates('PRAXIS@a.kim.test')).toEqual([certs[1]!.der]);
    });

    it('refuses an invalid address or certificate', async () => {
      const dir = join(root, 'refused');
      for (const address of ['../../etc/x@a.kim.test', 'no-at-sign', 'a@b', 'ä@a.kim.test'])
        expect((await failure(publishEncryptionCertificates(dir, address, [certs[0]!.der]))).code).toBe(
          'INVALID_ADDRESS',
        );
      expect((await failure(publishEncryptionCertificates(dir, 'a@a.kim.test', []))).code).toBe(
        'INVALID_CERTIFICATE',
      );
      const garbage = await failure(publishEncryptionCertificates(dir, 'a@a.kim.test', [Buffer.from('x')]));
      expect(garbage.code).toBe('INVALID_CERTIFICATE');
    });
  });
});
