import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/cliError.js';
import { FileByteSource } from '../../../src/cli/smime/fileSource.js';

const dir = mkdtempSync(join(tmpdir(), 'kim-smime-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONTENT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 17 + (i >> 12)) % 256));

async function collect(source: FileByteSource): Promise<Buffer> {
  const copies: Buffer[] = [];
  for await (const chunk of source.chunks()) copies.push(Buffer.from(chunk));
  return Buffer.concat(copies);
}

function withFile<T>(
  name: string,
  content: Buffer,
  use: (fd: number, path: string) => Promise<T>,
): Promise<T> {
  const path = join(dir, name);
  writeFileSync(path, content);
  const fd = openSync(path, 'r');
  return use(fd, path).finally(() => closeSync(fd));
}

describe('FileByteSource', () => {
  it('reads the file from its start offset as often as asked, in chunks and whole', async () => {
    await withFile('mail.eml', CONTENT, async (fd, path) => {
      const source = new FileByteSource(fd, 1000, path);
      expect(source.size).toBe(CONTENT.length - 1000);
      const expected = CONTENT.subarray(1000);
      expect((await collect(source)).equals(expected)).toBe(true);
      expect((await collect(source)).equals(expected)).toBe(true);
      expect(Buffer.concat(await source.all()).equals(expected)).toBe(true);
    });
  });

  it('refuses to go on when the file changed after it was opened (exit 1)', async () => {
    await withFile('grows.eml', CONTENT, async (fd, path) => {
      const source = new FileByteSource(fd, 0, path);
      await collect(source);
      appendFileSync(path, 'more');
      const error = await collect(source).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({
        exitCode: 1,
        message: `${path} changed while it was read: do not use any output`,
      });
      await expect(source.all()).rejects.toBeInstanceOf(CliError);
    });
    await withFile('touched.eml', CONTENT, async (fd, path) => {
      const source = new FileByteSource(fd, 0, path);
      // Same size, another modification time: the bytes may have been rewritten.
      utimesSync(path, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
      await expect(collect(source)).rejects.toBeInstanceOf(CliError);
    });
  });
});
