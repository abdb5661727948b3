/**
 * The writer thread of the SQLite event store. better-sqlite3 is synchronous, so a commit with
 * synchronous=FULL blocks its thread for the fsync; here that thread is not the event loop that
 * serves SMTP and POP3. Appends that arrive while a commit runs queue up and commit together.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendRequest } from './appender.js';
import { openLogDatabase, SqliteAppender } from './appender.js';
import { serializeStoreError } from './errorCodec.js';
import type { FromWriter, ToWriter, WriterData } from './writerProtocol.js';

const port = parentPort;
if (port === null) throw new Error('writerThread must run as a worker thread');
const data = workerData as WriterData;
const db = openLogDatabase(data.path);
const appender = new SqliteAppender(db, data.maxAppendSize, Date.now);

let queue: Array<{ id: number; request: AppendRequest }> = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length === 0) return;
  let message: FromWriter;
  try {
    const outcomes = appender.appendBatch(batch.map((b) => b.request));
    message = {
      kind: 'batch',
      outcomes: outcomes.map((o, i) => {
        const id = batch[i]?.id ?? -1;
        return o.ok
          ? { id, ok: true, result: o.result, createdMs: o.createdMs }
          : { id, ok: false, error: serializeStoreError(o.error) };
      }),
    };
  } catch (error) {
    const serialized = serializeStoreError(error);
    message = { kind: 'batch', outcomes: batch.map((b) => ({ id: b.id, ok: false, error: serialized })) };
  }
  port?.postMessage(message);
}

port.on('message', (message: ToWriter) => {
  if (message.kind === 'append') {
    queue.push({ id: message.id, request: message.request });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return;
  }
  flush();
  db.close();
  port.postMessage({ kind: 'closed' } satisfies FromWriter);
  port.close();
});
