import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { assertPatchable } from './patchGuard.js';

/**
 * smtp-server finds the end of DATA (and dot-stuffed lines) by looking at every byte of the
 * message in a JavaScript loop. For 25 MB messages that loop is about a third of the event loop's
 * time. We replace `SMTPStream.prototype._feedDataStream` with the same code whose scan jumps from
 * one `LF .` to the next with `Buffer.indexOf` (memchr speed); every decision at a found position
 * is the library's own, unchanged, including its guards against DATA smuggling.
 *
 * Guarded like the greeting patch: applied only to the smtp-server version whose code we copied
 * and only if its scan loop is still the one we replace; otherwise start-up fails. Adapted from
 * smtp-server 3.21.6 (MIT, Copyright (c) 2016-2024 Andris Reinman).
 */
const SCAN_LOOP = 'for (i = 2; i < len - 2; i++) {';
const END_SEQUENCE = Buffer.from('\r\n.\r\n');
const DOT_AT_DATA_START = Buffer.from('.\r\n');
const LF_DOT = Buffer.from('\n.');

interface DataStream {
  writable: boolean;
  destroyed: boolean;
  write(chunk: Buffer): boolean;
  once(event: 'drain' | 'close', listener: () => void): void;
  removeListener(event: 'drain' | 'close', listener: () => void): void;
}

interface Stream {
  _dataStream: DataStream;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _countDataBytes(n: number): void;
  _endDataMode(buf: Buffer | false, rest: Buffer, done: () => void): void;
  _feedDataStream(chunk: Buffer, done: () => void): void;
}

let applied = false;

export function useFastDataScan(): void {
  if (applied) return;
  const proto = SMTPStream.prototype as unknown as Stream;
  assertPatchable(
    'DATA scan',
    proto._feedDataStream.toString(),
    SCAN_LOOP,
    'SMTPStream._feedDataStream and src/mail/smtp/fastDataScan.ts',
  );
  proto._feedDataStream = feedDataStream;
  applied = true;
}

function feedDataStream(this: Stream, input: Buffer, done: () => void): void {
  const dataStream = this._dataStream;
  let chunk = input;
  if (this._lastBytes && this._lastBytes.length) {
    chunk = Buffer.concat([this._lastBytes, chunk], this._lastBytes.length + chunk.length);
    this._lastBytes = false;
  }
  let len = chunk.length;
  // A lone "." right at the start of DATA ends it (see the library's comment on smuggling).
  if (this._atDataStart && len >= 3 && Buffer.compare(chunk.subarray(0, 3), DOT_AT_DATA_START) === 0) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === 0x2e && chunk[1] === 0x2e) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // The library's loop visits i = 2 … len-3 and acts where chunk[i-1] is LF and chunk[i] a dot:
  // exactly the positions i = j + 1 of the matches j >= 1 of "\n." with j + 1 < len - 2.
  for (let j = chunk.indexOf(LF_DOT, 1); j !== -1 && j + 1 < len - 2; j = chunk.indexOf(LF_DOT, j + 1)) {
    const i = j + 1;
    if (Buffer.compare(chunk.subarray(i - 2, i + 3), END_SEQUENCE) === 0) {
      const buf = chunk.subarray(0, i);
      this._countDataBytes(buf.length);
      this._endDataMode(buf, chunk.subarray(i + 3), done);
      return;
    }
    if (chunk[i + 1] === 0x2e) {
      const buf = chunk.subarray(0, i);
      this._lastBytes = false;
      this._countDataBytes(buf.length);
      if (dataStream.writable) dataStream.write(buf);
      const rest = chunk.subarray(i + 1);
      setImmediate(() => this._feedDataStream(rest, done));
      return;
    }
  }
  this._lastBytes = chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4);
  if (this._lastBytes.length < chunk.length) {
    const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
    this._countDataBytes(buf.length);
    if (dataStream.writable) {
      const handled = dataStream.write(buf);
      if (!handled && !dataStream.destroyed) {
        // a stream that the application destroys never drains, it only closes
        const onDrain = (): void => {
          dataStream.removeListener('drain', onDrain);
          dataStream.removeListener('close', onDrain);
          done();
        };
        dataStream.once('drain', onDrain);
        dataStream.once('close', onDrain);
      } else {
        done();
      }
    } else {
      done();
    }
  } else {
    done();
  }
}
