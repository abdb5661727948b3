import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cliError.js';
import type { CliIo } from '../../src/cli/command.js';
import { pkiCommand } from '../../src/cli/commands/pki.js';
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

/** Runs `kim pki …` in-process, reporting CliErrors the way src/cli/main.ts does. */
async function kimPki(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = collector();
  const err = collector();
  const io: CliIo = {
    stdout: out.stream,
    stderr: err.stream as unknown as NodeJS.WriteStream,
    stdin: new PassThrough(),
  };
  let code: number;
  try {
    code = await pkiCommand.run(args, io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    err.stream.write(`kim pki: ${error.message}\n`);
    code = error.exitCode;
  }
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('kim pki', () => {
  const root = mkdtempSync(join(tmpdir(), 'kim-pki-cli-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is named pki and listed in kim --help', async () => {
    expect(pkiCommand.name).toBe('pki');
    const out: Buffer[] = [];
    const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
    expect(await main(['--help'], { stdout, stderr: process.stderr, stdin: process.stdin })).toBe(0);
    expect(Buffer.concat(out).toString()).toMatch(/^  pki\s+development PKI/m);
  });

  it('prints help with --help (exit 0) and without a subcommand (exit 2)', async () => {
    const help = await kimPki('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: kim pki init --out DIR --domain/);
    expect((await kimPki()).code).toBe(2);
    const initHelp = await kimPki('init', '--help');
    expect(initHelp.code).toBe(0);
    expect(initHelp.stdout).toMatch(/--force/);
  });

  it('creates a PKI and lists what it wrote', async () => {
    const out = join(root, 'one');
    const run = await kimPki(
      'init',
      '--out',
      out,
      '--domain',
      'a.kim.test,B.kim.test',
      '--hostname',
      'fd.local',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const file of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'providers/a.kim.test.crt']) {
      expect(existsSync(join(out, file))).toBe(true);
      expect(run.stdout).toContain(join(out, file));
    }
    expect(run.stdout).toContain(join(out, 'providers/b.kim.test.key'));
    expect(run.stdout).toMatch(/not for production/);
    expect((statSync(join(out, 'server.key')).mode & 0o777).toString(8)).toBe('600');
    expect(openssl('verify', '-CAfile', join(out, 'ca.crt'), join(out, 'server.crt')).code).toBe(0);
    const san = openssl('x509', '-in', join(out, 'server.crt'), '-noout', '-ext', 'subjectAltName').out;
    expect(san).toContain('DNS:fd.local');
    expect(san).toContain('DNS:mail.b.kim.test'); // domains are lower-cased
    expect(san).not.toContain('DNS:localhost'); // --hostname replaces the default
  });

  it('refuses an existing PKI without --force (exit 1), replaces it with --force', async () => {
    const out = join(root, 'twice');
    expect((await kimPki('init', '--out', out, '--domain', 'a.kim.test')).code).toBe(0);
    const before = readFileSync(join(out, 'ca.key'), 'utf8');
    const refused = await kimPki('init', '--out', out, '--domain', 'a.kim.test');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`kim pki: ${out} already holds a PKI; use --force to replace it\n`);
    expect(readFileSync(join(out, 'ca.key'), 'utf8')).toBe(before);
    const forced = await kimPki('init', '--out', out, '--domain', 'a.kim.test', '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(join(out, 'ca.key'), 'utf8')).not.toBe(before);
  });

  it.each([
    [['init', '--domain', 'a.kim.test'], /^kim pki: --out DIR is required/],
    [['init', '--out', 'X'], /^kim pki: --domain is required/],
    [['init', '--out', 'X', '--domain', 'nodot'], /^kim pki: --domain: 'nodot' is not a valid KIM domain/],
    [['init', '--out', 'X', '--domain', 'a_b.kim.test'], /'a_b\.kim\.test' is not a valid KIM domain/],
    [['init', '--out', 'X', '--domain', 'a.kim.test,'], /--domain: '' is not a valid KIM domain/],
    [['init', '--out', 'X', '--domain', 'a.kim.test', '--ip', '1.2.3'], /--ip: '1\.2\.3' is not a valid IP/],
    [
      ['init', '--out', 'X', '--domain', 'a.kim.test', '--hostname', '*.x'],
      /--hostname: '\*\.x' is not a valid/,
    ],
    [
      ['init', '--out', 'X', '--domain', 'a.kim.test', '--provider', 'p'],
      /--provider: 'p' is not a valid KIM/,
    ],
    [['frob'], /^kim pki: unknown pki command 'frob'/],
  ])('answers %j with exit code 2 and a clear error', async (args, message) => {
    const cwdTarget = join(root, 'X');
    const run = await kimPki(...args.map((a) => (a === 'X' ? cwdTarget : a)));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(args[0] === 'frob' ? 2 : 1);
    expect(existsSync(cwdTarget)).toBe(false);
  });

  it('rejects an unknown flag with the usage (exit 2)', async () => {
    const run = await kimPki('init', '--bogus');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--bogus/);
    expect(run.stderr).toMatch(/usage: kim pki init/);
  });
});
