/**
 * The Clientmodul's promise end to end, over real sockets: Python smtplib → Clientmodul A →
 * Fachdienst → Clientmodul B (a `kim clientmodul` child process) → Python poplib. One message to
 * two recipients with a 25 MB attachment (as encoded in the mail) arrives as the sender wrote it, with the result headers
 * 00/01, and the Fachdienst never held its plaintext.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishEncryptionCertificates } from '../../../adapters/directory/index.js';
import { issueDevCard } from '../../../adapters/konnektor/index.js';
import { startClientmodul } from '../../../src/clientmodul/app.js';
import type { RunningClientmodul } from '../../../src/clientmodul/app.js';
import { resolveClientmodulConfig } from '../../../src/config/clientmodulConfig.js';
import { silentLogger } from '../../../src/logging/logger.js';
import type { TestFachdienst } from '../../support/fachdienst.js';
import { freePort } from '../../support/fachdienst.js';
import { python, Scratch } from '../../fachdienst/smtp/support.js';
import { addr, clientUsername, makePki, PASSWORD, startFachdienst } from '../support.js';
import type { Pki } from '../support.js';

const PROJECT = fileURLToPath(new URL('../../../', import.meta.url));
const alice = addr('alice');
const bob = addr('bob');
const carol = addr('carol');

let pki: Pki;
let fd: TestFachdienst;
let work: string;
let scratch: Scratch;
let cmA: RunningClientmodul;
let cmB: ChildProcess;
let cmBPop3 = 0;

beforeAll(async () => {
  pki = await makePki();
  fd = await startFachdienst(pki);
  for (const account of [alice, bob, carol]) await fd.addAccount(account);
  work = mkdtempSync(join(tmpdir(), 'kim-cm-e2e-'));
  scratch = new Scratch();
  const directory = join(work, 'directory');
  const cardA = await issueDevCard({
    pkiDir: pki.dir,
    telematikId: '1-20.59.0000001',
    name: 'Praxis A',
    outDir: join(work, 'card-a'),
  });
  const cardB = await issueDevCard({
    pkiDir: pki.dir,
    telematikId: '1-20.59.0000002',
    name: 'Klinik B',
    outDir: join(work, 'card-b'),
  });
  await publishEncryptionCertificates(directory, alice, cardA.encryptionCertificates);
  await publishEncryptionCertificates(directory, bob, cardB.encryptionCertificates);
  await publishEncryptionCertificates(directory, carol, cardB.encryptionCertificates);

  const upstream = {
    fachdienstSmtpPort: String(fd.app.ports.smtp),
    fachdienstPop3Port: String(fd.app.ports.pop3),
    pki: pki.dir,
    directory,
  };
  cmA = await startClientmodul(
    resolveClientmodulConfig({ ...upstream, card: cardA.dir, smtpPort: '0', pop3Port: '0' }, {}),
    silentLogger(),
  );
  // Clientmodul B runs as the real command, in its own process.
  cmBPop3 = await freePort();
  cmB = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(PROJECT, 'src/cli/bin.ts'),
      'clientmodul',
      '--card',
      cardB.dir,
      '--pki',
      pki.dir,
      '--directory',
      directory,
      '--fachdienst-smtp-port',
      upstream.fachdienstSmtpPort,
      '--fachdienst-pop3-port',
      upstream.fachdienstPop3Port,
      '--smtp-port',
      String(await freePort()),
      '--pop3-port',
      String(cmBPop3),
    ],
    { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KIM_LOG_LEVEL: 'warn' } },
  );
  let stderr = '';
  cmB.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    cmB.stdout?.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      if (out.includes('clientmodul ready')) resolve();
    });
    cmB.once('exit', (code) => reject(new Error(`kim clientmodul exited ${code}: ${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  cmB?.kill('SIGTERM');
  await cmA?.close();
  await fd?.stop();
  scratch?.cleanup();
  pki?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const SCRIPT = String.raw`
import email.mime.application, email.mime.multipart, email.mime.text, email.utils
msg = email.mime.multipart.MIMEMultipart()
msg['From'] = A['from']
msg['To'] = ', '.join(A['to'])
msg['Subject'] = 'Arztbrief mit Röntgenbild'
msg['Date'] = email.utils.formatdate(localtime=True)
msg['Message-ID'] = email.utils.make_msgid(domain='a.kim.test')
msg.attach(email.mime.text.MIMEText('Befund: ' + A['marker'] + '\n', 'plain', 'utf-8'))
blob = random.Random(7).randbytes(A['attachment'])
msg.attach(email.mime.application.MIMEApplication(blob, Name='roentgen.dcm'))
raw = msg.as_bytes(policy=msg.policy.clone(linesep='\r\n'))
with smtplib.SMTP_SSL('127.0.0.1', A['smtp'], context=CTX, timeout=300) as s:
    s.login(A['user'], A['password'])
    refused = s.sendmail(A['from'], A['to'], raw)
body = raw.split(b'\r\n\r\n', 1)[1]
snippet = base64.b64encode(blob[57 * 17544:57 * 17545]).decode()
received = {}
for who in A['to']:
    for attempt in range(100):
        p = poplib.POP3_SSL('127.0.0.1', A['pop3'], context=CTX, timeout=300)
        p.user(who)
        p.pass_(A['password'])
        if p.stat()[0] > 0:
            break
        p.quit()
        time.sleep(0.2)
    resp, lines, octets = p.retr(1)
    p.quit()
    mail = b'\r\n'.join(lines) + b'\r\n'
    head, got = mail.split(b'\r\n\r\n', 1)
    received[who] = {
        'headers': head.decode('utf-8', 'replace'),
        'bodyEqual': got == body,
        'bodySha': hashlib.sha256(got).hexdigest(),
    }
print(json.dumps({'refused': refused, 'received': received, 'snippet': snippet, 'bodySha': hashlib.sha256(body).hexdigest()}))
`;

interface Outcome {
  refused: Record<string, unknown>;
  received: Record<string, { headers: string; bodyEqual: boolean; bodySha: string }>;
  snippet: string;
  bodySha: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

describe('KIM end to end through two Clientmodule and the Fachdienst', () => {
  it('delivers a signed and encrypted message with a 25 MB attachment to two recipients, readable only by them', async () => {
    const marker = `PLAINTEXT-MARKER-${Date.now()}`;
    const outcome = await python<Outcome>(scratch, SCRIPT, {
      cafile: pki.caFile,
      smtp: cmA.ports.smtp,
      pop3: cmBPop3,
      user: clientUsername(alice, fd.app.ports.smtp),
      password: PASSWORD,
      from: alice,
      to: [bob, carol],
      marker,
      // 25 MiB as it travels in the client mail (base64); sealed it is ~34 MB, within the
      // Fachdienst's default limit (KIM sends larger mails through KAS, not inline).
      attachment: Math.floor((25 * 1024 * 1024 * 57) / 78),
    });

    expect(outcome.refused).toEqual({});
    for (const who of [bob, carol]) {
      const got = outcome.received[who];
      expect(got?.bodyEqual, `${who} gets the body exactly as sent`).toBe(true);
      expect(got?.headers).toMatch(/^X-KIM-DecryptionResult: 00$/m);
      expect(got?.headers).toMatch(/^X-KIM-IntegrityCheckResult: 01$/m);
      // The inner (signed) header, not the outer `Subject: KOM-LE-Nachricht`.
      expect(got?.headers).toMatch(/^Subject: =\?utf-8\?/im);
      expect(got?.headers).not.toMatch(/KOM-LE-Nachricht/);
      expect(got?.headers).toMatch(/^Return-Path: <alice@a\.kim\.test>$/m);
    }

    // The Fachdienst only ever held ciphertext: neither the marker nor any piece of the
    // attachment (as base64, as sent) is in any file of its data directory.
    const needles = [Buffer.from(marker), Buffer.from(outcome.snippet)];
    const files = filesUnder(fd.dataDir);
    expect(files.reduce((sum, f) => sum + statSync(f).size, 0)).toBeGreaterThan(25 * 1024 * 1024);
    for (const file of files) {
      const content = readFileSync(file);
      for (const needle of needles)
        expect(content.includes(needle), `${needle.toString()} in ${file}`).toBe(false);
    }
  }, 300_000);
});
