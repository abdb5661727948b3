import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openFolderDirectory } from '../../adapters/directory/folderDirectory.js';
import { SoftwareKonnektor } from '../../adapters/konnektor/softwareKonnektor.js';
import { createDevPki } from '../../adapters/tls/devPki.js';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { openssl } from '../adapters/tls/helpers.js';

function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/** Runs `kim …` in-process through main(), with `stdin` as standard input. */
async function kim(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collector();
  const err = collector();
  const input = new PassThrough();
  input.end(stdin);
  const io: CliIo = { stdout: out.stream, stderr: err.stream as unknown as NodeJS.WriteStream, stdin: input };
  const code = await main(args, io);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('kim pki card', () => {
  let root: string;
  let pki: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'kim-pki-card-'));
    pki = join(root, 'pki');
    await createDevPki(pki, { domains: ['praxis.kim.test'] });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  afterEach(() => vi.unstubAllEnvs());

  const base = (out: string): string[] => [
    'pki',
    'card',
    '--pki',
    pki,
    '--telematik-id',
    '1-2.58.00000040',
    '--name',
    'Praxis Dr. Weiß',
    '--out',
    out,
  ];

  it('is listed in the pki help', async () => {
    const help = await kim(['pki', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/kim pki card --pki DIR --telematik-id ID --name NAME --out DIR/);
    const cardHelp = await kim(['pki', 'card', '--help']);
    expect(cardHelp.code).toBe(0);
    expect(cardHelp.stdout).toMatch(/--password-stdin/);
  });

  it('issues a PEM card that verifies under the dev root and loads in the software Konnektor', async () => {
    const out = join(root, 'pem');
    const run = await kim(base(out));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^development SMC-B written to .* \(not for production\)\n/);
    expect(run.stdout).toContain(`SMC-B CA      ${join(pki, 'smcb-ca.crt')} (created)`);
    for (const file of [
      'osig.crt',
      'osig.key',
      'enc.crt',
      'enc.key',
      'aut.crt',
      'aut.key',
      'smcb-ca.crt',
      'ca.crt',
    ])
      expect(run.stdout).toContain(join(out, file));
    expect((statSync(join(out, 'enc.key')).mode & 0o777).toString(8)).toBe('600');
    const verified = openssl(
      'verify',
      '-CAfile',
      join(pki, 'ca.crt'),
      '-untrusted',
      join(pki, 'smcb-ca.crt'),
      join(out, 'osig.crt'),
    );
    expect(verified.code).toBe(0);
    expect((await SoftwareKonnektor.load(out)).card).toEqual({
      telematikId: '1-2.58.00000040',
      holderName: 'Praxis Dr. Weiß',
    });
  });

  it('writes card.p12 with the password from stdin, and publishes the ENC certificate', async () => {
    const out = join(root, 'p12');
    const folder = join(root, 'vzd');
    const run = await kim(
      [
        ...base(out),
        '--p12',
        '--password-stdin',
        '--publish',
        folder,
        '--address',
        'Praxis@Weiss.kim.test',
        '--address',
        'empfang@weiss.kim.test',
      ],
      'S3cret pass\nignored second line\n',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('(created)'); // the SMC-B CA of the first card is reused
    expect(readdirSync(out).sort()).toEqual(['ca.crt', 'card.p12', 'smcb-ca.crt']);
    expect((statSync(join(out, 'card.p12')).mode & 0o777).toString(8)).toBe('600');
    const konnektor = await SoftwareKonnektor.load(out, { password: 'S3cret pass' });
    expect(konnektor.card.telematikId).toBe('1-2.58.00000040');
    const directory = await openFolderDirectory(folder);
    expect(await directory.encryptionCertificates('praxis@weiss.kim.test')).toEqual(
      konnektor.encryptionCertificates(),
    );
    expect(await directory.encryptionCertificates('EMPFANG@weiss.kim.test')).toEqual(
      konnektor.encryptionCertificates(),
    );
    expect(run.stdout).toContain(
      `ENC certificate for Praxis@Weiss.kim.test published: ${join(folder, 'praxis@weiss.kim.test.pem')}`,
    );
  });

  it('takes the card.p12 password from KIM_CARD_PASSWORD without --password-stdin', async () => {
    vi.stubEnv('KIM_CARD_PASSWORD', 'from env');
    const out = join(root, 'p12env');
    expect((await kim([...base(out), '--p12'])).code).toBe(0);
    expect((await SoftwareKonnektor.load(out, { password: 'from env' })).card.holderName).toBe(
      'Praxis Dr. Weiß',
    );
  });

  it('refuses to overwrite a card without --force (exit 1)', async () => {
    const out = join(root, 'pem');
    const refused = await kim(base(out));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`kim pki: ${out} already holds a card; use --force to replace it\n`);
    expect((await kim([...base(out), '--force'])).code).toBe(0);
  });

  it('fails with exit 1 when the PKI directory holds no PKI', async () => {
    const run = await kim([
      'pki',
      'card',
      '--pki',
      join(root, 'none'),
      '--telematik-id',
      '1-2',
      '--name',
      'X',
      '--out',
      join(root, 'x'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^kim pki: .*none holds no development PKI \(ca\.crt and ca\.key\); run 'kim pki init/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--pki'], /^kim pki: --pki DIR is required/],
    [['--telematik-id'], /^kim pki: --telematik-id ID is required/],
    [['--name'], /^kim pki: --name NAME is required/],
    [['--out'], /^kim pki: --out DIR is required/],
  ])('requires %j (exit 2)', async (drop, message) => {
    const args = base(join(root, 'never'));
    const i = args.indexOf(drop[0]!);
    args.splice(i, 2);
    const run = await kim(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it.each([
    [
      ['--telematik-id', 'Telematik-ID mit ü'],
      /invalid Telematik-ID "Telematik-ID mit ü": use 1-128 characters/,
    ],
    [['--telematik-id', 'a\nb'], /invalid Telematik-ID/],
    [['--name', ' '], /invalid name: use 1-64 characters/],
    [['--name', 'x'.repeat(65)], /invalid name/],
    [['--p12'], /--p12 needs a password: use --password-stdin or set KIM_CARD_PASSWORD/],
    [['--password-stdin'], /--password-stdin is only used with --p12/],
    [['--publish', 'F'], /--publish FOLDER needs at least one --address ADDR/],
    [['--address', 'a@b.kim.test'], /--address is only used with --publish/],
    [
      ['--publish', 'F', '--address', '../x@b.kim.test'],
      /--address: "\.\.\/x@b\.kim\.test" is not a valid KIM address/,
    ],
    [['--bogus'], /Unknown option '--bogus'[\s\S]*usage: kim pki card/],
  ])('answers %j with exit 2 and writes nothing', async (extra, message) => {
    vi.stubEnv('KIM_CARD_PASSWORD', undefined);
    const out = join(root, 'bad');
    const args = base(out);
    for (let i = 0; i < extra.length; i += 2) {
      const at = args.indexOf(extra[i]!);
      if (at >= 0) args.splice(at, 2, ...extra.slice(i, i + 2));
      else args.push(...extra.slice(i, i + 2));
    }
    const run = await kim(args);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    if (extra[0] !== '--bogus') expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an empty password on stdin', async () => {
    const run = await kim([...base(join(root, 'empty-pw')), '--p12', '--password-stdin'], '\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('kim pki: --p12: the password must not be empty\n');
  });
});
