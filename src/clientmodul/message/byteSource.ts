/**
 * A message that can be read more than once, from the start: chunks in memory, or a file that
 * is read again each time, so that a 25 MB mail need not be held in memory while it is sealed
 * (read twice: digest, then output) or opened (its base64 text is decoded as it is read).
 */
import { totalLength } from './chunks.js';

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /**
   * The bytes in order. A chunk is valid only until the next one is asked for (a file source
   * refills one buffer): copy what must be kept.
   */
  chunks(): AsyncIterable<Buffer>;
  /** All bytes in chunks that stay valid, e.g. to attach the original to an error mail. */
  all(): Promise<Buffer[]>;
}

/** `chunks` as a source: read as often as needed, never copied. */
export function bytesInMemory(chunks: readonly Buffer[]): ByteSource {
  const kept = chunks.filter((chunk) => chunk.length > 0);
  return {
    size: totalLength(kept),
    // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable over memory
    async *chunks() {
      yield* kept;
    },
    all: () => Promise.resolve([...kept]),
  };
}

/** The start of a chunk stream, copied, and the rest of it, unread. */
export interface StreamHead {
  /** The first bytes (at most the limit asked for), copied. */
  readonly head: Buffer;
  /** True when `head` holds all of the stream. */
  readonly complete: boolean;
  /** The rest of the stream, after `head`. */
  readonly rest: AsyncIterator<Buffer>;
}

/**
 * Reads `chunks` until `head` holds `limit` bytes, `enough(head)` says so (checked after every
 * chunk) or they end, copying (the chunks of a file source are reused), e.g. to find the header
 * block. What was not taken stays unread in `rest`.
 */
export async function readHead(
  chunks: AsyncIterable<Buffer>,
  limit: number,
  enough: (head: Buffer) => boolean = () => false,
): Promise<StreamHead> {
  const iterator = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < limit) {
    const next = await iterator.next();
    if (next.done === true) return { head, complete: true, rest: iterator };
    const take = next.value.subarray(0, limit - head.length);
    head = Buffer.concat([head, take]);
    if (take.length < next.value.length) {
      // The chunk reaches beyond the limit: its remainder comes first in `rest`, as a view,
      // still valid then because the source is asked for its next chunk only after it.
      return { head, complete: false, rest: prepend(next.value.subarray(take.length), iterator) };
    }
    if (enough(head)) break;
  }
  return { head, complete: false, rest: iterator };
}

function prepend(first: Buffer, iterator: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  let pending: Buffer | undefined = first;
  return {
    next: () => {
      if (pending === undefined) return iterator.next();
      const value = pending;
      pending = undefined;
      return Promise.resolve({ done: false, value });
    },
    return: (value?: unknown) =>
      iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
  };
}
