/**
 * The small-blob tier's writer thread: puts and deletes that arrive while a commit runs are
 * committed together, one WAL fsync for all of them, off the event loop that serves SMTP/POP3.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveGroupCommits } from '../../threads/groupCommitWorker.js';
import { openSmallBlobDatabase } from './database.js';
import type { FromSmallBlobWriter, SmallBlobWriterData, ToSmallBlobWriter } from './protocol.js';

type Op = Exclude<ToSmallBlobWriter, { kind: 'close' }>;

const port = parentPort;
if (port === null) throw new Error('the small-blob writer must run as a worker thread');
const db = openSmallBlobDatabase((workerData as SmallBlobWriterData).path);
// Same content, same ref: a repeated put only refreshes the age, so gc cannot take it.
const put = db.prepare<[string, Uint8Array, number]>(
  `INSERT INTO blobs (ref, data, created_ms) VALUES (?, ?, ?)
   ON CONFLICT (ref) DO UPDATE SET created_ms = max(created_ms, excluded.created_ms)`,
);
const remove = db.prepare<[string]>(`DELETE FROM blobs WHERE ref = ?`);
const removeIf = db.prepare<[string, number]>(`DELETE FROM blobs WHERE ref = ? AND created_ms = ?`);

const commit = db.transaction((ops: Op[]) =>
  ops.map((op) => {
    if (op.kind === 'put') return put.run(op.ref, op.data, op.nowMs).changes > 0;
    const result = op.ifCreatedMs === null ? remove.run(op.ref) : removeIf.run(op.ref, op.ifCreatedMs);
    return result.changes > 0;
  }),
);

serveGroupCommits<Op>(
  port,
  (batch): FromSmallBlobWriter => {
    try {
      const changed = commit(batch);
      return {
        kind: 'batch',
        outcomes: batch.map((op, i) => ({ id: op.id, ok: true, changed: changed[i] === true })),
      };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return { kind: 'batch', outcomes: batch.map((op) => ({ id: op.id, ok: false, message: text })) };
    }
  },
  () => db.close(),
);
