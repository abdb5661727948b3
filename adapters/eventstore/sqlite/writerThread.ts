/**
 * The writer thread of the SQLite event store. better-sqlite3 is synchronous, so a commit with
 * synchronous=FULL blocks its thread for the fsync; here that thread is not the event loop that
 * serves SMTP and POP3. Appends that arrive while a commit runs queue up and commit together.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLogDatabase, SqliteAppender } from './appender.js';
import { serializeStoreError } from './errorCodec.js';
import type { FromWriter, ToWriter, WriterData } from './writerProtocol.js';
import { serveGroupCommits } from '../../threads/groupCommitWorker.js';

type AppendMessage = Exclude<ToWriter, { kind: 'close' }>;

const port = parentPort;
if (port === null) throw new Error('writerThread must run as a worker thread');
const data = workerData as WriterData;
const db = openLogDatabase(data.path);
const appender = new SqliteAppender(db, data.maxAppendSize, Date.now);

serveGroupCommits<AppendMessage>(
  port,
  (batch): FromWriter => {
    try {
      const outcomes = appender.appendBatch(batch.map((b) => b.request));
      return {
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
      return { kind: 'batch', outcomes: batch.map((b) => ({ id: b.id, ok: false, error: serialized })) };
    }
  },
  () => db.close(),
);
