/**
 * Reads what a `kim smime` tool works on, from a FILE argument or standard input (`-` or no
 * argument): binary-safe (bytes are never decoded or line-end-normalised) and bounded, so a wrong
 * pipe cannot fill the memory. A regular file, also as standard input, can instead be handed on
 * as a ByteSource that is read on demand (withMessageSource), so a 25 MB mail is not held whole.
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ByteSource } from '../../clientmodul/message/byteSource.js';
import { bytesInMemory } from '../../clientmodul/message/byteSource.js';
import { CliError } from '../cliError.js';
import { FileByteSource, regularFileOffset } from './fileSource.js';

/**
 * The largest message read: a KIM mail is at most 700 MiB including its base64 attachments
 * (maxMailSize 734 003 200, kim-domain §3.4); the rest is room for headers.
 */
export const MAX_MESSAGE_BYTES = 800 * 1024 * 1024;

/** Key, certificate and CA files are small; anything larger is not one. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** Where the input comes from: a path, or standard input. */
export type InputSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'stdin' };

/** The positional FILE argument (at most one); `-` or none means standard input. */
export function inputSource(positionals: readonly string[], usage: string): InputSource {
  if (positionals.length > 1)
    throw new CliError(`only one FILE may be given, got ${positionals.length}\nusage: ${usage}`);
  const [path] = positionals;
  if (path === undefined || path === '-') return { kind: 'stdin' };
  if (path === '') throw new CliError(`FILE must not be empty\nusage: ${usage}`);
  return { kind: 'file', path };
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function describeErrno(code: string | undefined, error: unknown): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function tooLarge(what: string, limit: number): CliError {
  return new CliError(`${what} is larger than ${limit.toLocaleString('en')} bytes; refusing to read it`, 1);
}

async function readStream(stream: NodeJS.ReadableStream, what: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    size += bytes.length;
    // Leaving the loop by throwing destroys the stream: reading stops at once.
    if (size > limit) throw tooLarge(what, limit);
    chunks.push(bytes);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/**
 * Reads the file at `path` completely (at most `limit` bytes). Throws CliError (exit 1) naming
 * the path when it cannot be read, is a directory, or is too large.
 */
export async function readFileBounded(path: string, limit: number, what = path): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CliError(`cannot read ${what}: is a directory`, 1);
    // Regular files are refused before reading; pipes and devices are counted while reading.
    if (info.isFile() && info.size > limit) throw tooLarge(what, limit);
    return await readStream(createReadStream(path), what, limit);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = errnoCode(error);
    if (code === undefined) throw error;
    throw new CliError(`cannot read ${what}: ${describeErrno(code, error)}`, 1);
  }
}

function isTerminal(stream: NodeJS.ReadableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

/** The message from `source`, at most `limit` bytes (default MAX_MESSAGE_BYTES). */
export async function readMessage(
  source: InputSource,
  stdin: NodeJS.ReadableStream,
  limit = MAX_MESSAGE_BYTES,
): Promise<Buffer> {
  let message: Buffer;
  if (source.kind === 'file') {
    message = await readFileBounded(source.path, limit);
  } else {
    // Waiting for a message typed on a terminal is never what was meant.
    if (isTerminal(stdin))
      throw new CliError('no input: give a FILE or pipe the message into standard input');
    message = await readStream(stdin, 'standard input', limit);
  }
  if (message.length === 0)
    throw new CliError(`${source.kind === 'file' ? source.path : 'standard input'} is empty`, 1);
  return message;
}

/**
 * Runs `use` with the message from `source` as a ByteSource: a regular file, also standard
 * input redirected from one, is read on demand (never whole); a pipe is read into memory
 * first. At most `limit` bytes; an empty message is refused. The file is closed afterwards.
 */
export async function withMessageSource<T>(
  source: InputSource,
  stdin: NodeJS.ReadableStream,
  use: (message: ByteSource) => Promise<T>,
  limit = MAX_MESSAGE_BYTES,
): Promise<T> {
  const file = source.kind === 'file' ? openRegularFile(source.path) : stdinFile(stdin);
  if (file === undefined) return use(bytesInMemory([await readMessage(source, stdin, limit)]));
  try {
    const name = source.kind === 'file' ? source.path : 'standard input';
    const message = new FileByteSource(file.fd, file.start, name);
    if (message.size > limit) throw tooLarge(name, limit);
    if (message.size === 0) throw new CliError(`${name} is empty`, 1);
    return await use(message);
  } finally {
    if (file.close) closeSync(file.fd);
  }
}

interface OpenFile {
  readonly fd: number;
  readonly start: number;
  /** Standard input stays open: it is not ours. */
  readonly close: boolean;
}

/** The file opened for reading when it is a regular file; undefined for others (FIFOs, devices). */
function openRegularFile(path: string): OpenFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = errnoCode(error);
    if (code === undefined) throw error;
    throw new CliError(`cannot read ${path}: ${describeErrno(code, error)}`, 1);
  }
  const info = fstatSync(fd);
  if (info.isFile()) return { fd, start: 0, close: true };
  closeSync(fd);
  if (info.isDirectory()) throw new CliError(`cannot read ${path}: is a directory`, 1);
  return undefined;
}

/** Standard input when it is redirected from a regular file (fd 0 of this process). */
function stdinFile(stdin: NodeJS.ReadableStream): OpenFile | undefined {
  if (!('fd' in stdin) || stdin.fd !== 0) return undefined;
  const start = regularFileOffset(0);
  return start === undefined ? undefined : { fd: 0, start, close: false };
}

/** The first line of standard input (without its line end), for `--password-stdin`. */
export async function readPasswordLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const input = await readStream(stdin, '--password-stdin input', 64 * 1024);
  return input.toString('utf8').split(/\r?\n/)[0] ?? '';
}
