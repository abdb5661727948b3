/**
 * ByteSources for the streaming pipeline tests: one that hands out every chunk in the same
 * buffer and scribbles over it before refilling (as a file source reuses its buffer, only more
 * hostile: a kept view shows up as garbage), and one whose second reading differs.
 */
import type { ByteSource } from '../../../src/clientmodul/message/byteSource.js';

export interface CountingSource extends ByteSource {
  /** How often chunks() and all() were called. */
  readonly readings: { chunks: number; all: number };
}

export function scribblingSource(bytes: Buffer, chunkSize: number): CountingSource {
  const readings = { chunks: 0, all: 0 };
  return {
    size: bytes.length,
    readings,
    // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable over memory
    async *chunks() {
      readings.chunks++;
      const buffer = Buffer.alloc(chunkSize);
      for (let at = 0; at < bytes.length; at += chunkSize) {
        const length = bytes.copy(buffer, 0, at, at + chunkSize);
        yield buffer.subarray(0, length);
        buffer.fill(0x2a);
      }
    },
    all() {
      readings.all++;
      return Promise.resolve([Buffer.from(bytes)]);
    },
  };
}

/** `first` on the first reading, `second` on every later one. */
export function changingSource(first: Buffer, second: Buffer): ByteSource {
  let readings = 0;
  return {
    size: first.length,
    // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable over memory
    async *chunks() {
      yield readings++ === 0 ? first : second;
    },
    all: () => Promise.resolve([first]),
  };
}
