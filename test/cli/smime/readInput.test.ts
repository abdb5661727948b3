import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/cliError.js';
import { MAX_MESSAGE_BYTES, readMessage } from '../../../src/cli/smime/readInput.js';

const dir = mkdtempSync(join(tmpdir(), 'kim-smime-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('readMessage', () => {
  it('allows a whole KIM mail (700 MiB) and some headers', () => {
    expect(MAX_MESSAGE_BYTES).toBeGreaterThan(734_003_200);
  });

  it('returns the bytes of a file or of standard input unchanged', async () => {
    const bytes = Buffer.from([0x0d, 0x0a, 0x0a, 0x00, 0xff, 0x0d]);
    const path = join(dir, 'bytes.bin');
    writeFileSync(path, bytes);
    expect((await readMessage({ kind: 'file', path }, new PassThrough())).equals(bytes)).toBe(true);
    const stdin = new PassThrough();
    stdin.write(bytes.subarray(0, 2));
    stdin.end(bytes.subarray(2));
    expect((await readMessage({ kind: 'stdin' }, stdin)).equals(bytes)).toBe(true);
  });

  it('refuses a file or a stream beyond the limit with a clear message (exit 1)', async () => {
    const path = join(dir, 'big.bin');
    writeFileSync(path, Buffer.alloc(2048));
    const file = await failure(readMessage({ kind: 'file', path }, new PassThrough(), 1024));
    expect(file.exitCode).toBe(1);
    expect(file.message).toBe(`${path} is larger than 1,024 bytes; refusing to read it`);

    const stdin = new PassThrough();
    // More than the limit, in pieces, and never ended: reading must stop by itself.
    stdin.write(Buffer.alloc(600));
    stdin.write(Buffer.alloc(600));
    const stream = await failure(readMessage({ kind: 'stdin' }, stdin, 1024));
    expect(stream.message).toBe('standard input is larger than 1,024 bytes; refusing to read it');
  });

  it('does not wait for a message typed on a terminal', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const error = await failure(readMessage({ kind: 'stdin' }, terminal));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^no input: give a FILE or pipe the message/);
  });
});
