import type { MailboxSnapshot } from './machine.js';
import type { MailboxState } from './decider.js';

export type MailboxStatus = 'none' | 'open' | 'locked' | 'closed';

export interface LiveMessageView {
  readonly uid: number;
  readonly size: number;
  readonly blobRef: string;
  readonly messageKey: string;
}

interface HasMachine {
  readonly machine: MailboxSnapshot;
}

interface HasLive {
  readonly live: ReadonlyMap<number, Omit<LiveMessageView, 'uid'>>;
}

export function mailboxStatus(state: HasMachine): MailboxStatus {
  const m = state.machine;
  if (m.matches('open')) return 'open';
  if (m.matches('locked')) return 'locked';
  if (m.matches('closed')) return 'closed';
  return 'none';
}

/** Live messages in ascending uid order (the POP3 maildrop listing). */
export function liveMessages(state: HasLive): LiveMessageView[] {
  const out: LiveMessageView[] = [];
  for (const [uid, m] of state.live)
    out.push({ uid, size: m.size, blobRef: m.blobRef, messageKey: m.messageKey });
  // Insertion order is already ascending (uids only grow); the sort keeps that a guarantee.
  return out.sort((a, b) => a.uid - b.uid);
}

/** POP3 STAT: number of live messages and their total octets. */
export function mailboxStats(state: HasMachine): { readonly count: number; readonly bytes: number } {
  const { liveCount, liveBytes } = state.machine.context;
  return { count: liveCount, bytes: liveBytes };
}

/** The uid a message key was delivered under (even if deleted since), or null if never received. */
export function uidOfMessageKey(state: MailboxState, messageKey: string): number | null {
  return state.seenKeys.get(messageKey) ?? null;
}
