import { decodeMailboxEvent, mailboxDecider, mailboxEvent } from '../../../domain/mailbox/index.js';
import type { DeleteReason, MailboxEvent, ReceiveMessage } from '../../../domain/mailbox/index.js';
import { spec } from '../../support/deciderSpec.js';

export const T0 = '2026-03-01T10:00:00.000Z';
export const minute = (m: number): string => new Date(Date.parse(T0) + m * 60_000).toISOString();

export const MAILBOX_ID = 'mbx-1';
export const ACCOUNT_ID = 'acc-1';
export const DIGEST = 'c'.repeat(64);
export const TRACE =
  'Return-Path: <a@b>\r\nReceived: from mta by fachdienst; Sun, 1 Mar 2026 10:00:00 +0000\r\n';

export const mailboxSpec = () => spec(mailboxDecider, { decode: decodeMailboxEvent });

export const opened: MailboxEvent = mailboxEvent('opened', {
  mailboxId: MAILBOX_ID,
  accountId: ACCOUNT_ID,
  at: T0,
});

export const receiveCommand = (messageKey: string, extra: Partial<ReceiveMessage> = {}): ReceiveMessage => ({
  type: 'ReceiveMessage',
  messageKey,
  blobRef: `blob-${messageKey}`,
  blobSize: 1000,
  traceHeader: '',
  digest: DIGEST,
  now: minute(1),
  ...extra,
});

/** A received event as decide would produce it (traceHeader '' so size = blobSize). */
export const received = (
  uid: number,
  messageKey = `key-${uid}`,
  blobSize = 1000,
  at = minute(uid),
): MailboxEvent =>
  mailboxEvent('received', {
    uid,
    messageKey,
    blobRef: `blob-${messageKey}`,
    blobSize,
    traceHeader: '',
    size: blobSize,
    digest: DIGEST,
    arrivedAt: at,
  });

export const deleted = (uid: number, reason: DeleteReason = 'pop3', at = minute(100)): MailboxEvent =>
  mailboxEvent('deleted', reason === 'pop3' ? { uid, reason, sessionId: 's-1', at } : { uid, reason, at });

export const fetched = (uid: number, at = minute(50)): MailboxEvent =>
  mailboxEvent('fetched', { uid, sessionId: 's-1', at });

export const mbxLocked: MailboxEvent = mailboxEvent('locked', { reason: 'operator', at: minute(10) });
export const mbxUnlocked: MailboxEvent = mailboxEvent('unlocked', { at: minute(11) });
export const mbxClosed: MailboxEvent = mailboxEvent('closed', { reason: 'account purged', at: minute(200) });
