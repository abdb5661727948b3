import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../../../adapters/blobstore/index.js';
import type { EventStore } from '../../../adapters/eventstore/index.js';
import type { ReadModelDb } from '../../../projections/readModelDb.js';
import type { ProjectionRunner } from '../../../projections/runner.js';
import { prepared } from '../../../projections/statements.js';
import { Mailbox } from '../../core/aggregates.js';
import type { CommandHandler } from '../../core/commandHandler.js';
import type { Logger } from '../../logging/logger.js';
import type { Authenticator } from '../auth/authenticator.js';
import { FetchRecorder } from './fetchRecorder.js';
import type { Pop3Account, Pop3AuthResult, Pop3Hooks, Pop3Maildrop, Pop3OpenResult } from '../pop3/hooks.js';

export interface MaildropHooksDeps {
  readonly store: EventStore;
  readonly readModels: ReadModelDb;
  readonly maildrop: ProjectionRunner;
  readonly commands: CommandHandler;
  readonly blobs: BlobStore;
  readonly authenticator: Authenticator;
  readonly log: Logger;
  /** How long a login waits for the maildrop view to catch up with the mailbox stream. */
  readonly catchUpTimeoutMs?: number;
  /** How long completed RETRs are gathered before their `fetched` events are appended. */
  readonly fetchWindowMs?: number;
}

const FETCH_WINDOW_MS = 20;

interface MessageRow {
  uid: bigint;
  size: bigint;
  blob_ref: string;
  trace_header: string;
}

/**
 * The storage side of POP3: login against the accounts, an exclusive lease per maildrop
 * (RFC 1939's lock, `[IN-USE]` for a second session), a snapshot of the maildrop frozen at login
 * after the view has caught up with the mailbox stream (read-your-writes), messages streamed from
 * the blob store behind their trace header, and `fetched`/`deleted` events through the mailbox.
 */
export class MaildropHooks implements Pop3Hooks {
  /** mailbox id → session id holding it. In cluster mode this becomes a Redis lease. */
  private readonly leases = new Map<string, string>();

  constructor(private readonly deps: MaildropHooksDeps) {}

  async authenticate(user: string, password: string, remoteAddress: string): Promise<Pop3AuthResult> {
    const outcome = await this.deps.authenticator.authenticate(user, password, remoteAddress, 'retrieve');
    if (!outcome.ok) return { ok: false, reason: outcome.reason };
    return { ok: true, account: { accountId: outcome.account.accountId, address: outcome.account.address } };
  }

  async openMaildrop(account: Pop3Account, sessionId: string): Promise<Pop3OpenResult> {
    const mailboxId = account.accountId;
    if (this.leases.has(mailboxId)) return { ok: false, reason: 'in-use' };
    this.leases.set(mailboxId, sessionId);
    try {
      const caughtUp = await this.catchUp(mailboxId);
      if (!caughtUp) {
        this.leases.delete(mailboxId);
        return { ok: false, reason: 'unavailable' };
      }
      const db = this.deps.readModels.db;
      const status = prepared<[string], { status: string }>(
        db,
        `SELECT status FROM maildrop_mailboxes WHERE mailbox_id = ?`,
      ).get(mailboxId)?.status;
      if (status === 'locked') {
        this.leases.delete(mailboxId);
        return { ok: false, reason: 'locked' };
      }
      const rows = prepared<[string], MessageRow>(
        db,
        `SELECT uid, size, blob_ref, trace_header FROM maildrop_messages
         WHERE mailbox_id = ? AND deleted_at IS NULL ORDER BY uid`,
      ).all(mailboxId);
      return { ok: true, maildrop: this.maildrop(mailboxId, sessionId, rows) };
    } catch (error) {
      this.leases.delete(mailboxId);
      throw error;
    }
  }

  /** Wait until the maildrop view has applied the mailbox stream up to its current end. */
  private async catchUp(mailboxId: string): Promise<boolean> {
    let last: bigint | null = null;
    try {
      for await (const event of this.deps.store.readStream(Mailbox.streamId(mailboxId), {
        direction: 'backwards',
        fromRevision: 'end',
        maxCount: 1,
      })) {
        last = event.position;
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'STREAM_NOT_FOUND') return true; // no mail yet
      throw error;
    }
    return last === null || (await this.deps.maildrop.waitFor(last, this.deps.catchUpTimeoutMs ?? 5000));
  }

  private maildrop(mailboxId: string, sessionId: string, rows: readonly MessageRow[]): Pop3Maildrop {
    const { deps } = this;
    const byUid = new Map(rows.map((row) => [Number(row.uid), row]));
    let released = false;
    const fetches = new FetchRecorder(
      (uids) =>
        deps.commands
          .handle(
            Mailbox,
            mailboxId,
            { type: 'RecordFetch', uids, sessionId, now: new Date().toISOString() },
            { commandId: `fetch:${sessionId}:${randomUUID()}`, actor: 'pop3', correlationId: sessionId },
          )
          .then(
            () => undefined,
            (error: unknown) => deps.log.error({ err: error, mailboxId, uids }, 'recording fetches failed'),
          ),
      deps.fetchWindowMs ?? FETCH_WINDOW_MS,
    );
    return {
      entries: rows.map((row) => ({
        uid: Number(row.uid),
        uidl: uidlOf(mailboxId, Number(row.uid)),
        size: Number(row.size),
      })),

      open: (uid) => {
        const row = byUid.get(uid);
        if (row === undefined) return Promise.reject(new Error(`uid ${uid} is not in this maildrop`));
        // The stored message is the trace header followed by the body blob, byte for byte.
        const small = deps.blobs.readSmall(row.blob_ref);
        if (small !== null) return Promise.resolve(Buffer.concat([Buffer.from(row.trace_header), small]));
        const out = new PassThrough({ highWaterMark: 64 * 1024 });
        out.write(row.trace_header);
        pipeline(deps.blobs.get(row.blob_ref), out).catch((error: unknown) => {
          // The session stops reading (and so destroys the stream) once TOP has its lines or when
          // the client went away mid-RETR: that ends the pipeline, but nothing failed.
          const code = (error as { code?: unknown }).code;
          if (out.destroyed && (code === 'ABORT_ERR' || code === 'ERR_STREAM_PREMATURE_CLOSE')) {
            deps.log.debug({ mailboxId, uid }, 'message stream closed by the session');
            return;
          }
          deps.log.error(
            { err: error, mailboxId, uid, blobRef: row.blob_ref },
            'reading a message body failed',
          );
          out.destroy(error instanceof Error ? error : new Error(String(error)));
        });
        return Promise.resolve(out);
      },

      recordFetch: (uid) => {
        // The client already has the message; the audit record need not hold up its next command.
        fetches.record(uid);
        return Promise.resolve();
      },

      commitDeletions: async (uids) => {
        if (uids.length === 0) return;
        // After the fetches: a message deleted first would have no `fetched` left to record.
        await fetches.settled();
        // One command, one append: all marked messages go, or none do.
        await deps.commands.handle(
          Mailbox,
          mailboxId,
          { type: 'DeleteMessages', uids, reason: 'pop3', sessionId, now: new Date().toISOString() },
          { commandId: `quit:${sessionId}`, actor: 'pop3', correlationId: sessionId },
        );
      },

      release: async () => {
        await fetches.settled();
        if (!released && this.leases.get(mailboxId) === sessionId) this.leases.delete(mailboxId);
        released = true;
      },
    };
  }
}

/**
 * UIDL: unique within the maildrop and never reused (uids are never reused by the mailbox); the
 * mailbox prefix keeps values distinct should an address ever get a new mailbox.
 */
export function uidlOf(mailboxId: string, uid: number): string {
  return `${uid}.${mailboxId.replace(/-/g, '').slice(0, 12)}`;
}
