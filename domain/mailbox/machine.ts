import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { Instant } from '../shared/event.js';
import { utf8ByteLength } from '../shared/text.js';
import type { MailboxEvent, MailboxEventOf } from './events.js';

/** Small, JSON-plain context. Per-message indexes live beside the snapshot (see decider.ts). */
export interface MailboxContext {
  readonly mailboxId: string;
  readonly accountId: string;
  /** The uid the next received message gets. */
  readonly nextUid: number;
  readonly liveCount: number;
  readonly liveBytes: number;
  readonly lockReason?: string;
  readonly closeReason?: string;
  readonly lastEventAt: Instant | null;
}

/**
 * What evolve feeds the machine: the stored events, except that `deleted` carries the size of
 * the message it removes (looked up in the live index) so the machine can keep `liveBytes`.
 */
export type MailboxMachineEvent =
  Exclude<MailboxEvent, { type: 'deleted' }> | (MailboxEventOf<'deleted'> & { readonly freedBytes: number });

const initialContext: MailboxContext = {
  mailboxId: '',
  accountId: '',
  nextUid: 1,
  liveCount: 0,
  liveBytes: 0,
  lastEventAt: null,
};

/**
 * none → open ⇄ locked → closed. Locked stops POP3 retrieval but still accepts delivery; closed
 * accepts no delivery but still records fetches and deletions (expiry, purge).
 */
export const mailboxMachine = setup({
  types: { context: {} as MailboxContext, events: {} as MailboxMachineEvent },
  guards: {
    receivedInSequence: ({ context, event }) =>
      event.type === 'received' &&
      event.data.uid === context.nextUid &&
      event.data.size === utf8ByteLength(event.data.traceHeader) + event.data.blobSize,
  },
  actions: {
    receive: assign(({ context, event }) =>
      event.type === 'received'
        ? {
            nextUid: event.data.uid + 1,
            liveCount: context.liveCount + 1,
            liveBytes: context.liveBytes + event.data.size,
            lastEventAt: event.data.arrivedAt,
          }
        : {},
    ),
    free: assign(({ context, event }) =>
      event.type === 'deleted'
        ? {
            liveCount: context.liveCount - 1,
            liveBytes: context.liveBytes - event.freedBytes,
            lastEventAt: event.data.at,
          }
        : {},
    ),
    touch: assign(({ event }) => (event.type === 'fetched' ? { lastEventAt: event.data.at } : {})),
  },
}).createMachine({
  id: 'mailbox',
  initial: 'none',
  context: initialContext,
  states: {
    none: {
      on: {
        opened: {
          target: 'open',
          actions: assign(({ event }) => ({
            mailboxId: event.data.mailboxId,
            accountId: event.data.accountId,
            lastEventAt: event.data.at,
          })),
        },
      },
    },
    open: {
      on: {
        received: { guard: 'receivedInSequence', actions: 'receive' },
        fetched: { actions: 'touch' },
        deleted: { actions: 'free' },
        locked: {
          target: 'locked',
          actions: assign(({ event }) => ({ lockReason: event.data.reason, lastEventAt: event.data.at })),
        },
        closed: {
          target: 'closed',
          actions: assign(({ event }) => ({ closeReason: event.data.reason, lastEventAt: event.data.at })),
        },
      },
    },
    locked: {
      on: {
        received: { guard: 'receivedInSequence', actions: 'receive' },
        fetched: { actions: 'touch' },
        deleted: { actions: 'free' },
        unlocked: {
          target: 'open',
          actions: assign(({ event }) => ({ lockReason: undefined, lastEventAt: event.data.at })),
        },
        closed: {
          target: 'closed',
          actions: assign(({ event }) => ({
            lockReason: undefined,
            closeReason: event.data.reason,
            lastEventAt: event.data.at,
          })),
        },
      },
    },
    closed: {
      on: {
        fetched: { actions: 'touch' },
        deleted: { actions: 'free' },
      },
    },
  },
});

export type MailboxSnapshot = SnapshotFrom<typeof mailboxMachine>;
