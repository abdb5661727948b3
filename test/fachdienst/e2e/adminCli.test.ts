/**
 * The operator CLI (`kim admin account ...`) against the data directory of a running Fachdienst
 * (a child process): what it writes reaches the Fachdienst through the event log alone.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN, PASSWORD, freePort, provisionInDataDir, spawnFachdienst } from '../../support/fachdienst.js';
import type { ChildFachdienst } from '../../support/fachdienst.js';
import { Pop3Raw, eventually, kim } from './helpers.js';

const EXISTING = `bestand@${DOMAIN}`;
const NEW = `neu.praxis@${DOMAIN}`;
const NEW_PASSWORD = 'Neu-Praxis-Passw0rt#2026';
const CHANGED_PASSWORD = 'Ge4endert-Passw0rt!x';

const dataDir = mkdtempSync(join(tmpdir(), 'kim-e2e-admin-'));
let fd: ChildFachdienst;
let ca: string;

beforeAll(async () => {
  await provisionInDataDir(dataDir, [EXISTING]);
  fd = await spawnFachdienst(dataDir, {
    smtp: await freePort(),
    pop3: await freePort(),
    http: await freePort(),
  });
  ca = readFileSync(fd.caFile, 'utf8');
});

afterAll(async () => {
  if (fd.process.exitCode === null && fd.process.signalCode === null) {
    fd.process.kill('SIGTERM');
    await fd.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** One POP3 login attempt: the PASS reply (the session is ended with QUIT or dropped). */
async function pop3Login(user: string, password: string): Promise<string> {
  const client = await Pop3Raw.open(fd.ports.pop3, ca);
  const reply = await client.login(user, password);
  if (reply.startsWith('+OK')) await client.quit();
  else await client.drop();
  return reply;
}

const admin = (args: readonly string[], stdin = '') =>
  kim(['admin', 'account', ...args, '--data', dataDir], stdin);

async function listJson(): Promise<Array<{ address: string; status: string; lockReason: string | null }>> {
  const result = await admin(['list', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.toString('utf8')) as Array<{
    address: string;
    status: string;
    lockReason: string | null;
  }>;
}

function oneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('kim admin account beside a running Fachdienst', () => {
  it('adds an account with the password on stdin; it can log in over POP3 within a few seconds', async () => {
    const added = await admin(['add', NEW], `${NEW_PASSWORD}\n`);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout.toString()).toMatch(new RegExp(`^account ${NEW} added \\([0-9a-f-]{36}\\)\\n$`));

    const started = Date.now();
    const reply = await eventually(
      async () => {
        const r = await pop3Login(NEW, NEW_PASSWORD);
        return r.startsWith('+OK') ? r : undefined;
      },
      8_000,
      'the new account to log in',
      250,
    );
    expect(reply).toMatch(/^\+OK maildrop has 0 messages/);
    console.info(
      `admin cli: the added account could log in ${Date.now() - started} ms after 'kim admin account add' returned`,
    );
    expect(await listJson()).toContainEqual(expect.objectContaining({ address: NEW, status: 'active' }));
  });

  it('locks an account (the login fails) and unlocks it (the login works again); list shows the status', async () => {
    const locked = await admin(['lock', NEW]);
    expect(locked.code, locked.stderr).toBe(0);
    expect(locked.stdout.toString()).toBe(`account ${NEW} locked\n`);
    await eventually(
      async () => ((await pop3Login(NEW, NEW_PASSWORD)).startsWith('-ERR [AUTH]') ? true : undefined),
      8_000,
      'the lock to take effect',
      250,
    );
    expect(await listJson()).toContainEqual({
      accountId: expect.any(String) as string,
      address: NEW,
      status: 'locked',
      lockReason: 'operator',
      telematikId: null,
    });
    const text = await admin(['list']);
    expect(text.stdout.toString()).toContain(`${NEW}\tlocked (operator)\n`);
    const again = await admin(['lock', NEW]);
    expect(again.code).toBe(0);
    expect(again.stdout.toString()).toBe(`account ${NEW} was already locked\n`);

    const unlocked = await admin(['unlock', NEW]);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout.toString()).toBe(`account ${NEW} unlocked\n`);
    await eventually(
      async () => ((await pop3Login(NEW, NEW_PASSWORD)).startsWith('+OK') ? true : undefined),
      8_000,
      'the unlock to take effect',
      250,
    );
    expect(await listJson()).toContainEqual(
      expect.objectContaining({ address: NEW, status: 'active', lockReason: null }),
    );
  });

  it('changes a password (passwd, on stdin): the new one works, the old one no longer', async () => {
    const changed = await admin(['passwd', EXISTING], `${CHANGED_PASSWORD}\n`);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout.toString()).toBe(`password of ${EXISTING} changed\n`);
    await eventually(
      async () => ((await pop3Login(EXISTING, CHANGED_PASSWORD)).startsWith('+OK') ? true : undefined),
      8_000,
      'the new password to work',
      250,
    );
    expect(await pop3Login(EXISTING, PASSWORD)).toMatch(/^-ERR \[AUTH\]/);
  });

  it('refuses a weak password, an invalid address, a duplicate address with one-line errors', async () => {
    const before = await listJson();

    const weak = await admin(['add', `schwach@${DOMAIN}`], 'password\n');
    oneLineError(weak, /^kim admin: password rejected: password needs /);
    const empty = await admin(['add', `leer@${DOMAIN}`], '');
    oneLineError(empty, /^kim admin: no password on standard input$/);
    const invalid = await admin(['add', 'kein adresse@'], `${NEW_PASSWORD}\n`);
    oneLineError(invalid, /^kim admin: 'kein adresse@' is not a valid KIM address$/);
    const duplicate = await admin(['add', NEW], `${NEW_PASSWORD}\n`);
    oneLineError(duplicate, /^kim admin: an account with this address exists already$/);
    expect(duplicate.code).toBe(1);
    const differentCase = await admin(
      ['add', NEW.toUpperCase().replace(`@${DOMAIN.toUpperCase()}`, `@${DOMAIN}`)],
      `${NEW_PASSWORD}\n`,
    );
    oneLineError(differentCase, /^kim admin: an account with this address exists already$/);
    const unknown = await admin(['lock', `niemand@${DOMAIN}`]);
    oneLineError(unknown, /^kim admin: no account with this address$/);

    expect(await listJson()).toEqual(before);
    // The duplicate did not take over the account: its password is still the first one.
    expect(await pop3Login(NEW, NEW_PASSWORD)).toMatch(/^\+OK/);
  });

  it('refuses list, lock, unlock and passwd on a data directory without a store, and creates none', async () => {
    const typo = join(dataDir, 'no-such-data-dir');
    for (const args of [['list'], ['lock', NEW], ['unlock', NEW]]) {
      const result = await kim(['admin', 'account', ...args, '--data', typo]);
      oneLineError(result, /^kim admin: no event store at .*no-such-data-dir\/events\.sqlite$/);
      expect(result.code).toBe(1);
    }
    const passwd = await kim(['admin', 'account', 'passwd', NEW, '--data', typo], `${CHANGED_PASSWORD}\n`);
    oneLineError(passwd, /^kim admin: no event store at /);
    expect(existsSync(typo)).toBe(false);
  });

  it('never writes a password in clear into the data directory', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dataDir);
    expect(files.map((f) => f.slice(dataDir.length + 1))).toContain('events.sqlite');
    for (const password of [PASSWORD, NEW_PASSWORD, CHANGED_PASSWORD]) {
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(bytes.indexOf(password), `${password} in ${file}`).toBe(-1);
        expect(bytes.indexOf(Buffer.from(password, 'utf16le')), `${password} (UTF-16) in ${file}`).toBe(-1);
      }
    }
  });
});
