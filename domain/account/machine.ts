import { assign, setup } from 'xstate';
import type { SnapshotFrom } from 'xstate';
import type { Instant } from '../shared/event.js';
import type { AccountEvent, KimVersion, LockReason } from './events.js';

export interface Absence {
  readonly text: string;
  readonly from: Instant;
  readonly until: Instant;
}

/** Small, JSON-plain context. Fields stay undefined/null until an event sets them. */
export interface AccountContext {
  readonly accountId: string;
  readonly address: string;
  readonly telematikId: string | null;
  readonly passwordHash: string;
  readonly kimVersion: KimVersion | null;
  readonly dataTimeToLive: number | null;
  readonly displayName?: string;
  readonly codeDigest?: string;
  readonly codeExpiresAt?: Instant;
  readonly lockReason?: LockReason;
  readonly absence?: Absence;
  readonly deregisteredAt?: Instant;
  readonly graceUntil?: Instant;
  readonly lastEventAt: Instant | null;
}

const initialContext: AccountContext = {
  accountId: '',
  address: '',
  telematikId: null,
  passwordHash: '',
  kimVersion: null,
  dataTimeToLive: null,
  lastEventAt: null,
};

/**
 * none → pending → registered{access: active⇄locked, presence: present⇄absent} → deregistered → purged.
 * `registered` may be entered from `none` directly (operator provisioning). Revoking a
 * deregistration re-enters `registered` through its deep history, restoring both regions.
 * Every accepted transition assigns (at least `lastEventAt`), see shared/machine.ts.
 */
export const accountMachine = setup({
  types: { context: {} as AccountContext, events: {} as AccountEvent },
}).createMachine({
  id: 'account',
  initial: 'none',
  context: initialContext,
  states: {
    none: {
      on: {
        registrationCodeIssued: {
          target: 'pending',
          actions: assign(({ event }) => ({
            accountId: event.data.accountId,
            telematikId: event.data.telematikId,
            codeDigest: event.data.codeDigest,
            codeExpiresAt: event.data.expiresAt,
            lastEventAt: event.data.at,
          })),
        },
        registered: {
          target: 'registered',
          actions: assign(({ event }) => ({
            accountId: event.data.accountId,
            address: event.data.address,
            telematikId: event.data.telematikId,
            passwordHash: event.data.passwordHash,
            kimVersion: event.data.kimVersion,
            dataTimeToLive: event.data.dataTimeToLive,
            lastEventAt: event.data.at,
          })),
        },
      },
    },
    pending: {
      on: {
        // A re-issued code replaces the previous one.
        registrationCodeIssued: {
          guard: ({ context, event }) => event.data.accountId === context.accountId,
          actions: assign(({ event }) => ({
            telematikId: event.data.telematikId,
            codeDigest: event.data.codeDigest,
            codeExpiresAt: event.data.expiresAt,
            lastEventAt: event.data.at,
          })),
        },
        registered: {
          guard: ({ context, event }) => event.data.accountId === context.accountId,
          target: 'registered',
          actions: assign(({ event }) => ({
            address: event.data.address,
            telematikId: event.data.telematikId,
            passwordHash: event.data.passwordHash,
            kimVersion: event.data.kimVersion,
            dataTimeToLive: event.data.dataTimeToLive,
            codeDigest: undefined,
            codeExpiresAt: undefined,
            lastEventAt: event.data.at,
          })),
        },
      },
    },
    registered: {
      type: 'parallel',
      on: {
        passwordChanged: {
          actions: assign(({ event }) => ({
            passwordHash: event.data.passwordHash,
            lastEventAt: event.data.at,
          })),
        },
        baseDataChanged: {
          actions: assign(({ context, event }) => ({
            kimVersion: event.data.kimVersion ?? context.kimVersion,
            dataTimeToLive: event.data.dataTimeToLive ?? context.dataTimeToLive,
            displayName: event.data.displayName ?? context.displayName,
            lastEventAt: event.data.at,
          })),
        },
        deregistered: {
          target: 'deregistered',
          actions: assign(({ event }) => ({
            deregisteredAt: event.data.at,
            graceUntil: event.data.graceUntil,
            lastEventAt: event.data.at,
          })),
        },
      },
      states: {
        access: {
          initial: 'active',
          states: {
            active: {
              on: {
                locked: {
                  target: 'locked',
                  actions: assign(({ event }) => ({
                    lockReason: event.data.reason,
                    lastEventAt: event.data.at,
                  })),
                },
              },
            },
            locked: {
              on: {
                unlocked: {
                  target: 'active',
                  actions: assign(({ event }) => ({ lockReason: undefined, lastEventAt: event.data.at })),
                },
              },
            },
          },
        },
        presence: {
          initial: 'present',
          states: {
            present: {
              on: {
                absent: {
                  target: 'absent',
                  actions: assign(({ event }) => ({
                    absence: { text: event.data.text, from: event.data.from, until: event.data.until },
                    lastEventAt: event.data.at,
                  })),
                },
              },
            },
            absent: {
              on: {
                // A new note replaces the current one.
                absent: {
                  actions: assign(({ event }) => ({
                    absence: { text: event.data.text, from: event.data.from, until: event.data.until },
                    lastEventAt: event.data.at,
                  })),
                },
                present: {
                  target: 'present',
                  actions: assign(({ event }) => ({ absence: undefined, lastEventAt: event.data.at })),
                },
              },
            },
          },
        },
        // Remembers access + presence when `registered` is left for `deregistered`.
        history: { type: 'history', history: 'deep' },
      },
    },
    deregistered: {
      on: {
        deregistrationRevoked: {
          target: '#account.registered.history',
          actions: assign(({ event }) => ({
            deregisteredAt: undefined,
            graceUntil: undefined,
            lastEventAt: event.data.at,
          })),
        },
        purged: {
          target: 'purged',
          // Drop credentials and personal notes; keep identifiers for the audit trail.
          actions: assign(({ event }) => ({
            passwordHash: '',
            absence: undefined,
            displayName: undefined,
            lastEventAt: event.data.at,
          })),
        },
      },
    },
    purged: { type: 'final' },
  },
});

export type AccountSnapshot = SnapshotFrom<typeof accountMachine>;
