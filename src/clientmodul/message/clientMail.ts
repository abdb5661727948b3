/**
 * The client mail as the send side reads it (kim-domain §6.1 step 1): line ends normalised to
 * CRLF, split at the first empty line. Read from a ByteSource twice: once for the header and
 * the digest of the body, once more for the body's bytes, so the body is never held in memory.
 */
import type { ByteSource } from './byteSource.js';
import { readHead } from './byteSource.js';
import { totalLength } from './chunks.js';
import { MAX_HEADER_BYTES, showsHeaderEnd, splitMail } from './headerBlock.js';
import { LineEndNormaliser } from './lineEnds.js';

export interface ClientMailReading {
  /** The header block, CRLF line ends, without the empty line. */
  readonly header: Buffer;
  /** Where the body starts in the normalised mail. */
  readonly bodyStart: number;
  /** The body, normalised, in pieces valid until the next is asked for. Read it once. */
  readonly body: AsyncIterable<Buffer>;
  /** Once `body` was read to its end: whether any line end had to be changed. */
  hadBareLineEnds(): boolean;
}

async function* normalisedChunks(source: ByteSource, normaliser: LineEndNormaliser): AsyncGenerator<Buffer> {
  for await (const chunk of source.chunks()) yield* normaliser.push(chunk);
  yield* normaliser.end();
}

/** Throws KimMessageError INVALID_MAIL when the header block is larger than MAX_HEADER_BYTES. */
export async function readClientMail(source: ByteSource): Promise<ClientMailReading> {
  const normaliser = new LineEndNormaliser();
  const { head, rest } = await readHead(
    normalisedChunks(source, normaliser),
    MAX_HEADER_BYTES + 2,
    showsHeaderEnd,
  );
  const split = splitMail([head]);
  const bodyStart = head.length - totalLength(split.body);
  async function* body(): AsyncGenerator<Buffer> {
    yield* split.body;
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  }
  return { header: split.header, bodyStart, body: body(), hadBareLineEnds: () => normaliser.changed };
}

/**
 * The body once more, from the source: normalised again only when the first reading had to
 * change line ends (a clean mail is passed on as the source's own chunks).
 */
export async function* clientMailBody(
  source: ByteSource,
  bodyStart: number,
  normalise: boolean,
): AsyncGenerator<Buffer> {
  const chunks = normalise ? normalisedChunks(source, new LineEndNormaliser()) : source.chunks();
  let skip = bodyStart;
  for await (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    yield skip === 0 ? chunk : chunk.subarray(skip);
    skip = 0;
  }
}
