/**
 * Runs `kim smime …` in-process through main() with binary stdout, or as a real child process
 * (`node --import tsx src/cli/bin.ts`), and wraps CMS into the mail forms the tools accept.
 */
import { spawn, spawnSync } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../../src/cli/command.js';
import { main } from '../../../src/cli/main.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = 'src/cli/bin.ts';

export interface KimRun {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

/** `kim …` in-process, `stdin` as standard input (binary). */
export async function kim(args: readonly string[], stdin: Uint8Array | string = ''): Promise<KimRun> {
  const out = collector();
  const err = collector();
  const input = new PassThrough();
  input.end(stdin);
  const io: CliIo = { stdout: out.stream, stderr: err.stream as unknown as NodeJS.WriteStream, stdin: input };
  const code = await main(args, io);
  return { code, stdout: out.bytes(), stderr: err.bytes().toString('utf8') };
}

/** `kim …` as a child process, stdin fed from `input`. */
export function kimProcess(
  args: readonly string[],
  options: { input?: Uint8Array; env?: NodeJS.ProcessEnv } = {},
): KimRun {
  const run = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: REPO,
    input: options.input ?? Buffer.alloc(0),
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr.toString('utf8') };
}

/** A shell pipeline of real processes; `kim` in `script` stands for the CLI. */
export function shellPipeline(script: string): Promise<KimRun> {
  const kimCommand = `'${process.execPath}' --import tsx ${BIN}`;
  const child = spawn('bash', ['-o', 'pipefail', '-c', script.replaceAll('kim ', `${kimCommand} `)], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** base64 in 76-character CRLF lines, as in a MIME body. */
export function base64Lines(bytes: Uint8Array): string {
  return (
    (
      Buffer.from(bytes)
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\r\n') + '\r\n'
  );
}

/** A KIM-shaped outer mail (kim-domain §6.1 step 5) around an AuthEnvelopedData. */
export function kimMail(envelope: Uint8Array): Buffer {
  return Buffer.from(
    'Date: Mon, 04 May 2026 05:02:01 +0200\r\n' +
      'From: praxis@a.kim.telematik\r\nTo: alice@b.kim.telematik\r\n' +
      'Message-ID: <1@a.kim.telematik>\r\nSubject: KOM-LE-Nachricht\r\nX-KOM-LE-Version: 1.0\r\n' +
      'MIME-Version: 1.0\r\n' +
      'Content-Type: application/pkcs7-mime; smime-type=authenticated-enveloped-data;\r\n name=smime.p7m\r\n' +
      'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n' +
      base64Lines(envelope),
  );
}

/** The signed-data entity of kim-domain §6.1 step 3 (binary body). */
export function signedEntity(signedData: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(
      'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n' +
        'Content-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n',
    ),
    signedData,
  ]);
}
