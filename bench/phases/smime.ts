/**
 * S/MIME for a 25 MiB client mail, our `kim smime` command line against `openssl cms` on the
 * same input and the same keys, each step in its own process (so startup is counted for both
 * and each peak RSS is the process's own, from /usr/bin/time):
 *  - sign + encrypt: `kim smime seal` (rfc822 wrap → SignedData PSS → AuthEnvelopedData GCM →
 *    base64 outer mail) vs `openssl cms -sign` (PSS) then `openssl cms -encrypt` (GCM, OAEP);
 *  - decrypt + verify: `kim smime open` (decrypt, verify, header checks, result headers) vs
 *    `openssl cms -decrypt` then `openssl cms -verify`.
 * Target: faster than the OpenSSL command line, peak memory under 4 × the message size.
 *
 * Beside them, labelled `inProcess`: the library functions (sealKimMessage, openKimMessage, as
 * the Clientmodul's proxies call them) timed in this process after one warm-up, without
 * process startup; memory as process.memoryUsage() deltas (see InProcess).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { publishEncryptionCertificates } from '../../adapters/directory/index.js';
import { issueDevCard, SoftwareKonnektor } from '../../adapters/konnektor/index.js';
import { createDevPki } from '../../adapters/tls/index.js';
import { openKimMessage, sealKimMessage } from '../../src/clientmodul/message/index.js';
import { report, round, withTempDir } from '../support.js';

const MESSAGE_MB = Number(process.env['KIM_BENCH_SMIME_MB'] ?? 25);
const RUNS = Number(process.env['KIM_BENCH_SMIME_RUNS'] ?? 3);
const bin = join(import.meta.dirname, '../../src/cli/bin.js');
const alice = 'alice@kim.test';
const bob = 'bob@kim.test';

interface Measured {
  readonly seconds: number;
  readonly peakRssMb: number;
}

/** Runs one command under /usr/bin/time: wall seconds and peak RSS; stdin/stdout are files. */
function timed(command: string, args: readonly string[], stdin?: string, stdout?: string): Measured {
  const shell = `exec /usr/bin/time -f '%e %M' "$@"${stdin ? ` < '${stdin}'` : ''}${stdout ? ` > '${stdout}'` : ''}`;
  const run = spawnSync('sh', ['-c', shell, 'sh', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const last = run.stderr.trim().split('\n').pop() ?? '';
  const match = /^([\d.]+) (\d+)$/.exec(last);
  if (run.status !== 0 || match === null)
    throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  return { seconds: Number(match[1]), peakRssMb: Number(match[2]) / 1024 };
}

/** Steps run one after another: seconds add up, the peak is the largest step's. */
function sequence(steps: Measured[]): Measured {
  return {
    seconds: steps.reduce((sum, s) => sum + s.seconds, 0),
    peakRssMb: Math.max(...steps.map((s) => s.peakRssMb)),
  };
}

function best(runs: Measured[]): { seconds: number; peakRssMb: number; runsSeconds: number[] } {
  return {
    seconds: round(Math.min(...runs.map((r) => r.seconds)), 2),
    peakRssMb: round(Math.max(...runs.map((r) => r.peakRssMb))),
    runsSeconds: runs.map((r) => round(r.seconds, 2)),
  };
}

interface InProcess {
  /** Best of the timed runs, milliseconds. */
  readonly ms: number;
  readonly runsMs: number[];
  /**
   * process.memoryUsage() of the last run, from a collected heap before it: `allocated` right
   * after it (result and uncollected garbage: close to its peak unless a GC ran meanwhile),
   * `retained` once garbage is collected (the result alone). RSS, and the Buffers within it.
   */
  readonly rssAllocatedMb: number;
  readonly rssRetainedMb: number;
  readonly arrayBuffersAllocatedMb: number;
  readonly arrayBuffersRetainedMb: number;
}

const MiB = 1024 * 1024;
// A collected heap before and after each run makes the deltas mean something; bench code only.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Memory once garbage is collected; Buffers are freed by a background sweeper, hence the wait. */
async function collected(): Promise<NodeJS.MemoryUsage> {
  gc();
  await setTimeout(20);
  gc();
  return process.memoryUsage();
}

/** Runs `fn` once to warm up, then `runs` times timed (at least once); memory of the last run. */
async function inProcess<T>(runs: number, fn: () => Promise<T>): Promise<{ figures: InProcess; result: T }> {
  // In a frame of its own, so that nothing of this function still refers to the warm-up result.
  await (async () => {
    await fn();
  })();
  const times: number[] = [];
  let result: { value: T } | undefined;
  let memory = {
    before: process.memoryUsage(),
    after: process.memoryUsage(),
    retained: process.memoryUsage(),
  };
  for (let run = 0; run < Math.max(runs, 1); run++) {
    result = undefined;
    const before = await collected();
    const start = performance.now();
    result = { value: await fn() };
    times.push(performance.now() - start);
    const after = process.memoryUsage();
    memory = { before, after, retained: await collected() };
  }
  if (result === undefined) throw new Error('no timed run');
  const delta = (key: 'rss' | 'arrayBuffers', at: NodeJS.MemoryUsage): number =>
    round((at[key] - memory.before[key]) / MiB);
  return {
    figures: {
      ms: round(Math.min(...times)),
      runsMs: times.map((t) => round(t)),
      rssAllocatedMb: delta('rss', memory.after),
      rssRetainedMb: delta('rss', memory.retained),
      arrayBuffersAllocatedMb: delta('arrayBuffers', memory.after),
      arrayBuffersRetainedMb: delta('arrayBuffers', memory.retained),
    },
    result: result.value,
  };
}

/** A client mail: a short text part and a base64 attachment of about `mb` MiB in total. */
function clientMail(mb: number): Buffer {
  const boundary = 'bench-boundary';
  const attachment = randomBytes(Math.floor((mb * 1024 * 1024 * 3) / 4) - 2048)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: <${alice}>\r\nTo: <${bob}>\r\nSubject: bench\r\nDate: Sat, 28 Nov 2026 12:00:00 +0100\r\n` +
      `Message-ID: <bench@kim.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBefund anbei.\r\n` +
      `--${boundary}\r\nContent-Type: application/octet-stream; name=image.dcm\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${attachment}\r\n--${boundary}--\r\n`,
  );
}

await withTempDir('kim-bench-smime-', async (dir) => {
  const pkiDir = join(dir, 'pki');
  await createDevPki(pkiDir, { domains: ['kim.test'] });
  const cardA = await issueDevCard({
    pkiDir,
    telematikId: '1-bench-a',
    name: 'Praxis A',
    outDir: join(dir, 'a'),
  });
  const cardB = await issueDevCard({
    pkiDir,
    telematikId: '1-bench-b',
    name: 'Praxis B',
    outDir: join(dir, 'b'),
  });
  await publishEncryptionCertificates(join(dir, 'directory'), bob, cardB.encryptionCertificates);
  const input = join(dir, 'mail.eml');
  writeFileSync(input, clientMail(MESSAGE_MB));
  const inputBytes = statSync(input).size;
  const bobCert = join(cardB.dir, 'enc.crt');
  const trustBundle = join(dir, 'trust.pem');
  writeFileSync(
    trustBundle,
    Buffer.concat([readFileSync(join(pkiDir, 'ca.crt')), readFileSync(join(pkiDir, 'smcb-ca.crt'))]),
  );

  const ours = { seal: [] as Measured[], open: [] as Measured[] };
  const openssl = { seal: [] as Measured[], open: [] as Measured[] };
  for (let run = 0; run < RUNS; run++) {
    const sealed = join(dir, 'sealed.eml');
    ours.seal.push(
      timed(
        process.execPath,
        [bin, 'smime', 'seal', '--card', cardA.dir, '--from', alice, '--to', `${bob}=${bobCert}`],
        input,
        sealed,
      ),
    );
    const opened = join(dir, 'opened.eml');
    ours.open.push(
      timed(
        process.execPath,
        [bin, 'smime', 'open', '--card', cardB.dir, '--address', bob, '--ca', join(pkiDir, 'smcb-ca.crt')],
        sealed,
        opened,
      ),
    );
    const delivered = readFileSync(opened);
    if (
      !delivered.includes('X-KIM-IntegrityCheckResult: 01') ||
      !delivered.includes(readFileSync(input).subarray(-4096))
    )
      throw new Error('kim smime open did not recover the mail');

    const signedDer = join(dir, 'signed.der');
    const enveloped = join(dir, 'enveloped.p7m');
    const osslSign = timed('openssl', [
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-md',
      'sha256',
      '-signer',
      join(cardA.dir, 'osig.crt'),
      '-inkey',
      join(cardA.dir, 'osig.key'),
      // After -signer/-inkey: key options apply to the signer named before them.
      '-keyopt',
      'rsa_padding_mode:pss',
      '-keyopt',
      'rsa_pss_saltlen:32',
      '-in',
      input,
      '-outform',
      'DER',
      '-out',
      signedDer,
    ]);
    const osslEncrypt = timed('openssl', [
      'cms',
      '-encrypt',
      '-binary',
      '-aes-256-gcm',
      '-recip',
      bobCert,
      '-keyopt',
      'rsa_padding_mode:oaep',
      '-keyopt',
      'rsa_oaep_md:sha256',
      '-keyopt',
      'rsa_mgf1_md:sha256',
      '-in',
      signedDer,
      '-outform',
      'SMIME',
      '-out',
      enveloped,
    ]);
    openssl.seal.push(sequence([osslSign, osslEncrypt]));
    const decrypted = join(dir, 'decrypted.der');
    const osslDecrypt = timed('openssl', [
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'SMIME',
      '-in',
      enveloped,
      '-recip',
      bobCert,
      '-inkey',
      join(cardB.dir, 'enc.key'),
      '-out',
      decrypted,
    ]);
    const osslVerify = timed('openssl', [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      decrypted,
      // The TSL analogue: the SMC-B CA and its root, as kim smime open trusts them.
      '-CAfile',
      trustBundle,
      '-purpose',
      'any',
      '-out',
      join(dir, 'verified.eml'),
    ]);
    openssl.open.push(sequence([osslDecrypt, osslVerify]));
  }
  // In-process: the same mail and cards, the library functions without process startup.
  const sender = await SoftwareKonnektor.load(cardA.dir);
  const receiver = await SoftwareKonnektor.load(cardB.dir);
  const mail = readFileSync(input);
  const now = new Date();
  const sealing = await inProcess(RUNS, () =>
    sealKimMessage({
      mail: [mail],
      konnektor: sender,
      senderAddress: alice,
      recipients: [{ address: bob, certificates: cardB.encryptionCertificates }],
      now,
    }),
  );
  const trustAnchors = [Buffer.from(new X509Certificate(readFileSync(join(pkiDir, 'smcb-ca.crt'))).raw)];
  const opening = await inProcess(RUNS, () =>
    openKimMessage({
      message: sealing.result.message,
      ownAddress: bob,
      konnektor: receiver,
      trustAnchors,
      now,
    }),
  );
  if (opening.result.integrityCheckResult !== '01') throw new Error('openKimMessage did not verify the mail');

  const messageMb = inputBytes / (1024 * 1024);
  const result = {
    phase: 'smime',
    messageMb: round(messageMb, 2),
    signEncrypt: {
      kim: best(ours.seal),
      openssl: best(openssl.seal),
      inProcess: { sealKimMessage: sealing.figures },
    },
    decryptVerify: {
      kim: best(ours.open),
      openssl: best(openssl.open),
      inProcess: { openKimMessage: opening.figures },
    },
    targets: {
      faster: 'kim seconds < openssl seconds',
      peakRssMb: `< ${round(4 * messageMb)} (4 × message)`,
      inProcess: 'library functions in the bench process after one warm-up: no startup, no target',
    },
  };
  report(result);
});
