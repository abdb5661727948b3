import type { CommandMeta } from '../shared/event.js';
import type { DeleteReason } from './events.js';

export interface OpenMailbox extends CommandMeta {
  readonly type: 'OpenMailbox';
  readonly mailboxId: string;
  readonly accountId: string;
}

/** Deliver one message. decide assigns the uid and computes the served size. */
export interface ReceiveMessage extends CommandMeta {
  readonly type: 'ReceiveMessage';
  readonly messageKey: string;
  readonly blobRef: string;
  readonly blobSize: number;
  readonly traceHeader: string;
  readonly digest: string;
}

/** Messages a session retrieved completely (RETR), in the order it sent them. */
export interface RecordFetch extends CommandMeta {
  readonly type: 'RecordFetch';
  readonly uids: readonly number[];
  readonly sessionId: string;
}

export interface DeleteMessages extends CommandMeta {
  readonly type: 'DeleteMessages';
  readonly uids: readonly number[];
  readonly reason: DeleteReason;
  readonly sessionId?: string;
}

export interface LockMailbox extends CommandMeta {
  readonly type: 'LockMailbox';
  readonly reason: string;
}

export interface UnlockMailbox extends CommandMeta {
  readonly type: 'UnlockMailbox';
}

export interface CloseMailbox extends CommandMeta {
  readonly type: 'CloseMailbox';
  readonly reason: string;
}

export type MailboxCommand =
  OpenMailbox | ReceiveMessage | RecordFetch | DeleteMessages | LockMailbox | UnlockMailbox | CloseMailbox;
