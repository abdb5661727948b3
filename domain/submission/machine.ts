import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { Instant } from '../shared/event.js';
import { recipientKey } from './events.js';
import type { SubmissionEvent } from './events.js';

export type RecipientState = 'pending' | 'deferred' | 'delivered' | 'relayed' | 'bounced';

export interface RecipientStatus {
  /** The address as accepted (original spelling). */
  readonly address: string;
  readonly state: RecipientState;
  /** Number of deferrals so far. */
  readonly attempts: number;
  readonly nextAttemptAt?: Instant;
}

/** Small, JSON-plain context; the recipient count is bounded per message. */
export interface SubmissionContext {
  readonly submissionId: string;
  readonly sender: string;
  readonly blobRef: string;
  readonly size: number;
  readonly digest: string;
  readonly acceptedAt: Instant | null;
  /** The Received: trace field written at acceptance, prepended at delivery. */
  readonly receivedHeader?: string;
  /** Keyed by recipientKey(address). */
  readonly recipients: Readonly<Record<string, RecipientStatus>>;
  readonly lastEventAt: Instant | null;
}

export function isFinalRecipientState(state: RecipientState): boolean {
  return state === 'delivered' || state === 'relayed' || state === 'bounced';
}

const initialContext: SubmissionContext = {
  submissionId: '',
  sender: '',
  blobRef: '',
  size: 0,
  digest: '',
  acceptedAt: null,
  recipients: {},
  lastEventAt: null,
};

function open(context: SubmissionContext, recipient: string): RecipientStatus | undefined {
  const status = context.recipients[recipientKey(recipient)];
  return status !== undefined && !isFinalRecipientState(status.state) ? status : undefined;
}

function settle(context: SubmissionContext, recipient: string, state: RecipientState, at: Instant) {
  const key = recipientKey(recipient);
  const current = context.recipients[key];
  if (current === undefined) return {};
  const { nextAttemptAt: _dropped, ...rest } = current;
  return { recipients: { ...context.recipients, [key]: { ...rest, state } }, lastEventAt: at };
}

/** none → accepted → completed (final). Outcomes are only accepted for recipients still open. */
export const submissionMachine = setup({
  types: { context: {} as SubmissionContext, events: {} as SubmissionEvent },
}).createMachine({
  id: 'submission',
  initial: 'none',
  context: initialContext,
  states: {
    none: {
      on: {
        accepted: {
          target: 'accepted',
          actions: assign(({ event }) => {
            const recipients: Record<string, RecipientStatus> = {};
            for (const r of event.data.recipients) {
              recipients[recipientKey(r.address)] ??= { address: r.address, state: 'pending', attempts: 0 };
            }
            return {
              submissionId: event.data.submissionId,
              sender: event.data.sender,
              blobRef: event.data.blobRef,
              size: event.data.size,
              digest: event.data.digest,
              acceptedAt: event.data.acceptedAt,
              ...(event.data.receivedHeader === undefined
                ? {}
                : { receivedHeader: event.data.receivedHeader }),
              recipients,
              lastEventAt: event.data.acceptedAt,
            };
          }),
        },
      },
    },
    accepted: {
      on: {
        deliveredLocally: {
          guard: ({ context, event }) => open(context, event.data.recipient) !== undefined,
          actions: assign(({ context, event }) =>
            settle(context, event.data.recipient, 'delivered', event.data.at),
          ),
        },
        relayed: {
          guard: ({ context, event }) => open(context, event.data.recipient) !== undefined,
          actions: assign(({ context, event }) =>
            settle(context, event.data.recipient, 'relayed', event.data.at),
          ),
        },
        bounced: {
          guard: ({ context, event }) => open(context, event.data.recipient) !== undefined,
          actions: assign(({ context, event }) =>
            settle(context, event.data.recipient, 'bounced', event.data.at),
          ),
        },
        deferred: {
          guard: ({ context, event }) =>
            open(context, event.data.recipient)?.attempts === event.data.attempt - 1,
          actions: assign(({ context, event }) => {
            const key = recipientKey(event.data.recipient);
            const current = context.recipients[key];
            if (current === undefined) return {};
            const next: RecipientStatus = {
              address: current.address,
              state: 'deferred',
              attempts: event.data.attempt,
              nextAttemptAt: event.data.nextAttemptAt,
            };
            return { recipients: { ...context.recipients, [key]: next }, lastEventAt: event.data.at };
          }),
        },
        completed: {
          guard: ({ context }) =>
            Object.values(context.recipients).every((r) => isFinalRecipientState(r.state)),
          target: 'completed',
          actions: assign(({ event }) => ({ lastEventAt: event.data.at })),
        },
      },
    },
    completed: { type: 'final' },
  },
});

export type SubmissionSnapshot = SnapshotFrom<typeof submissionMachine>;
