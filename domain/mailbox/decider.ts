import type { Decider } from '../shared/decider.js';
import { CorruptHistoryError, DomainError } from '../shared/errors.js';
import { advance, describeSnapshot, initialSnapshot } from '../shared/machine.js';
import { isSha256Hex, utf8ByteLength } from '../shared/text.js';
import { isInstant } from '../shared/time.js';
import type { DeleteMessages, MailboxCommand, ReceiveMessage } from './commands.js';
import { mailboxEvent } from './events.js';
import type { MailboxEvent } from './events.js';
import { mailboxMachine } from './machine.js';
import type { MailboxSnapshot } from './machine.js';
import { mailboxStatus } from './queries.js';

export interface LiveMessage {
  readonly size: number;
  readonly blobRef: string;
  readonly messageKey: string;
}

/**
 * The folded mailbox. The per-message indexes sit beside the machine snapshot, not in its
 * context, and evolve mutates them in place: copying a growing map per event would make a fold
 * quadratic. A state is owned by its fold; do not keep references to an earlier state.
 */
export interface MailboxState {
  machine: MailboxSnapshot;
  /** Messages not yet deleted, by uid (insertion order = ascending uid). */
  readonly live: Map<number, LiveMessage>;
  /** Every message key ever received with its uid, so a redelivery after deletion stays a no-op. */
  readonly seenKeys: Map<string, number>;
}

export const MAILBOX_AGGREGATE = 'mailbox';

export const mailboxDecider: Decider<MailboxState, MailboxCommand, MailboxEvent> = {
  aggregate: MAILBOX_AGGREGATE,
  initialState: () => ({
    machine: initialSnapshot(mailboxMachine),
    live: new Map(),
    seenKeys: new Map(),
  }),
  evolve,
  decide,
};

function evolve(state: MailboxState, event: MailboxEvent): MailboxState {
  switch (event.type) {
    case 'received': {
      if (state.seenKeys.has(event.data.messageKey)) corrupt(state, event, `message key already received`);
      state.machine = advance(MAILBOX_AGGREGATE, mailboxMachine, state.machine, event);
      const { uid, size, blobRef, messageKey } = event.data;
      state.live.set(uid, { size, blobRef, messageKey });
      state.seenKeys.set(messageKey, uid);
      return state;
    }
    case 'fetched': {
      if (!state.live.has(event.data.uid)) corrupt(state, event, `uid ${event.data.uid} is not live`);
      state.machine = advance(MAILBOX_AGGREGATE, mailboxMachine, state.machine, event);
      return state;
    }
    case 'deleted': {
      const message = state.live.get(event.data.uid);
      if (message === undefined) corrupt(state, event, `uid ${event.data.uid} is not live`);
      state.machine = advance(MAILBOX_AGGREGATE, mailboxMachine, state.machine, {
        ...event,
        freedBytes: message.size,
      });
      state.live.delete(event.data.uid);
      return state;
    }
    default:
      state.machine = advance(MAILBOX_AGGREGATE, mailboxMachine, state.machine, event);
      return state;
  }
}

function decide(command: MailboxCommand, state: MailboxState): MailboxEvent[] {
  if (!isInstant(command.now)) invalid('now is not an ISO-8601 instant');
  const status = mailboxStatus(state);
  if (command.type === 'OpenMailbox') {
    if (status !== 'none') throw new DomainError('MAILBOX_EXISTS', 'mailbox exists');
    if (command.mailboxId === '' || command.accountId === '') invalid('mailboxId and accountId are required');
    return [
      mailboxEvent('opened', { mailboxId: command.mailboxId, accountId: command.accountId, at: command.now }),
    ];
  }
  if (status === 'none') throw new DomainError('MAILBOX_NOT_FOUND', 'mailbox does not exist');
  switch (command.type) {
    case 'ReceiveMessage':
      return receive(command, state);
    case 'RecordFetch':
      // One `fetched` per live uid (a message deleted meanwhile has nothing left to record).
      return command.uids
        .filter((uid) => state.live.has(uid))
        .map((uid) => mailboxEvent('fetched', { uid, sessionId: command.sessionId, at: command.now }));
    case 'DeleteMessages':
      return deleteMessages(command, state);
    case 'LockMailbox':
      if (status === 'closed') throw new DomainError('MAILBOX_CLOSED', 'mailbox is closed');
      if (status === 'locked') return [];
      return [mailboxEvent('locked', { reason: command.reason, at: command.now })];
    case 'UnlockMailbox':
      if (status === 'closed') throw new DomainError('MAILBOX_CLOSED', 'mailbox is closed');
      if (status === 'open') return [];
      return [mailboxEvent('unlocked', { at: command.now })];
    case 'CloseMailbox':
      if (status === 'closed') return [];
      return [mailboxEvent('closed', { reason: command.reason, at: command.now })];
  }
}

function receive(command: ReceiveMessage, state: MailboxState): MailboxEvent[] {
  // A redelivery is a no-op even once the mailbox is closed: the message did arrive.
  if (state.seenKeys.has(command.messageKey)) return [];
  if (mailboxStatus(state) === 'closed') throw new DomainError('MAILBOX_CLOSED', 'mailbox is closed');
  if (command.messageKey === '') invalid('messageKey is empty');
  if (command.blobRef === '') invalid('blobRef is empty');
  if (!Number.isSafeInteger(command.blobSize) || command.blobSize < 0)
    invalid('blobSize must be a whole number ≥ 0');
  if (!isSha256Hex(command.digest)) invalid('digest is not a lowercase hex SHA-256');
  return [
    mailboxEvent('received', {
      uid: state.machine.context.nextUid,
      messageKey: command.messageKey,
      blobRef: command.blobRef,
      blobSize: command.blobSize,
      traceHeader: command.traceHeader,
      size: utf8ByteLength(command.traceHeader) + command.blobSize,
      digest: command.digest,
      arrivedAt: command.now,
    }),
  ];
}

function deleteMessages(command: DeleteMessages, state: MailboxState): MailboxEvent[] {
  const sessionId = command.sessionId === undefined ? {} : { sessionId: command.sessionId };
  const done = new Set<number>();
  const events: MailboxEvent[] = [];
  for (const uid of command.uids) {
    if (done.has(uid) || !state.live.has(uid)) continue;
    done.add(uid);
    events.push(mailboxEvent('deleted', { uid, reason: command.reason, ...sessionId, at: command.now }));
  }
  return events;
}

function corrupt(state: MailboxState, event: MailboxEvent, why: string): never {
  throw new CorruptHistoryError(MAILBOX_AGGREGATE, event.type, `${describeSnapshot(state.machine)}: ${why}`);
}

function invalid(message: string): never {
  throw new DomainError('INVALID_COMMAND', message);
}
