import { Readable } from 'node:stream';
import type {
  Pop3Account,
  Pop3AuthResult,
  Pop3Hooks,
  Pop3Maildrop,
  Pop3OpenResult,
} from '../../../src/fachdienst/pop3/index.js';

export interface MemoryMessage {
  readonly uid: number;
  readonly uidl: string;
  readonly body: Buffer;
}

interface MemoryUser {
  readonly password: string;
  readonly account: Pop3Account;
}

/** What happened to one message stream handed out by open(). */
export interface StreamRecord {
  readonly sessionId: string;
  readonly uid: number;
  /** Bytes the server has pulled from the stream so far. */
  pulled: number;
  destroyed: boolean;
}

/**
 * In-memory Pop3Hooks for tests: users with passwords, messages as Buffers, an exclusive lock
 * per account (held from openMaildrop to release), and records of everything the server did.
 */
export class MemoryHooks implements Pop3Hooks {
  readonly #users = new Map<string, MemoryUser>();
  readonly #messages = new Map<string, MemoryMessage[]>();
  readonly #locks = new Map<string, string>();
  #nextUid = 1;

  readonly authCalls: { user: string; remoteAddress: string }[] = [];
  readonly opens: { sessionId: string; accountId: string }[] = [];
  readonly fetches: { sessionId: string; uid: number }[] = [];
  readonly commits: { sessionId: string; uids: readonly number[] }[] = [];
  readonly releases: { sessionId: string }[] = [];
  readonly streams: StreamRecord[] = [];

  /** open, commit and release in the order they happened ("open:<sessionId>", ...). */
  readonly events: string[] = [];
  /** Delays for the slow-hook races. */
  openDelayMs = 0;
  commitDelayMs = 0;
  /** Bytes per chunk of a message stream. */
  chunkSize = 64 * 1024;
  /** open() hands out each message whole, as one Buffer (the small-message path), not as a stream. */
  whole = false;
  /** Forces every authenticate() to this outcome ('throw' rejects). */
  authOverride: Extract<Pop3AuthResult, { ok: false }>['reason'] | 'throw' | null = null;
  /** Forces every openMaildrop() to this outcome. */
  openOverride: Extract<Pop3OpenResult, { ok: false }>['reason'] | null = null;
  /** commitDeletions rejects (and deletes nothing). */
  failCommit = false;
  /** open() rejects for these uids. */
  readonly failOpen = new Set<number>();
  /** The stream of this uid errors after this many bytes. */
  failStream: { uid: number; afterBytes: number } | null = null;

  addUser(address: string, password: string): Pop3Account {
    const account: Pop3Account = { accountId: `acc-${this.#users.size + 1}`, address };
    this.#users.set(address, { password, account });
    this.#messages.set(account.accountId, []);
    return account;
  }

  addMessage(account: Pop3Account, body: Buffer | string): MemoryMessage {
    const uid = this.#nextUid++;
    const message: MemoryMessage = {
      uid,
      uidl: `kim-${uid}-${account.accountId}`,
      body: typeof body === 'string' ? Buffer.from(body) : body,
    };
    this.#list(account.accountId).push(message);
    return message;
  }

  messages(account: Pop3Account): readonly MemoryMessage[] {
    return [...this.#list(account.accountId)];
  }

  isLocked(account: Pop3Account): boolean {
    return this.#locks.has(account.accountId);
  }

  /** Release count per session that opened a maildrop. */
  releaseCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.opens.map((open) => [open.sessionId, 0]));
    for (const release of this.releases)
      counts.set(release.sessionId, (counts.get(release.sessionId) ?? 0) + 1);
    return counts;
  }

  authenticate(user: string, password: string, remoteAddress: string): Promise<Pop3AuthResult> {
    this.authCalls.push({ user, remoteAddress });
    if (this.authOverride === 'throw') return Promise.reject(new Error('directory down'));
    if (this.authOverride !== null) return Promise.resolve({ ok: false, reason: this.authOverride });
    const known = this.#users.get(user);
    if (known === undefined || known.password !== password) {
      return Promise.resolve({ ok: false, reason: 'invalid' });
    }
    return Promise.resolve({ ok: true, account: known.account });
  }

  async openMaildrop(account: Pop3Account, sessionId: string): Promise<Pop3OpenResult> {
    if (this.openDelayMs > 0) await delay(this.openDelayMs);
    return this.#openMaildrop(account, sessionId);
  }

  #openMaildrop(account: Pop3Account, sessionId: string): Promise<Pop3OpenResult> {
    if (this.openOverride !== null) return Promise.resolve({ ok: false, reason: this.openOverride });
    if (this.#locks.has(account.accountId)) return Promise.resolve({ ok: false, reason: 'in-use' });
    this.#locks.set(account.accountId, sessionId);
    this.opens.push({ sessionId, accountId: account.accountId });
    this.events.push(`open:${sessionId}`);
    const snapshot = [...this.#list(account.accountId)];
    const entries = Object.freeze(
      snapshot.map((m) => Object.freeze({ uid: m.uid, uidl: m.uidl, size: m.body.length })),
    );
    const maildrop: Pop3Maildrop = {
      entries,
      open: (uid) => {
        const message = snapshot.find((m) => m.uid === uid);
        if (message === undefined || this.failOpen.has(uid)) {
          return Promise.reject(new Error(`cannot open message ${uid}`));
        }
        return Promise.resolve(this.whole ? message.body : this.#stream(sessionId, message));
      },
      recordFetch: (uid) => {
        this.fetches.push({ sessionId, uid });
        return Promise.resolve();
      },
      commitDeletions: async (uids) => {
        this.commits.push({ sessionId, uids: [...uids] });
        if (this.commitDelayMs > 0) await delay(this.commitDelayMs);
        if (this.failCommit) throw new Error('store down');
        const list = this.#list(account.accountId);
        if (!uids.every((uid) => list.some((m) => m.uid === uid))) throw new Error('unknown uid');
        this.#messages.set(
          account.accountId,
          list.filter((m) => !uids.includes(m.uid)),
        );
        this.events.push(`commit:${sessionId}`);
      },
      release: () => {
        this.releases.push({ sessionId });
        this.events.push(`release:${sessionId}`);
        if (this.#locks.get(account.accountId) === sessionId) this.#locks.delete(account.accountId);
        return Promise.resolve();
      },
    };
    return Promise.resolve({ ok: true, maildrop });
  }

  #list(accountId: string): MemoryMessage[] {
    const list = this.#messages.get(accountId);
    if (list === undefined) throw new Error(`unknown account ${accountId}`);
    return list;
  }

  /** A lazy byte stream over the message: one chunk per read(), so pulls follow demand. */
  #stream(sessionId: string, message: MemoryMessage): Readable {
    const record: StreamRecord = { sessionId, uid: message.uid, pulled: 0, destroyed: false };
    this.streams.push(record);
    const fail = this.failStream?.uid === message.uid ? this.failStream.afterBytes : null;
    const chunkSize = this.chunkSize;
    return new Readable({
      read() {
        if (fail !== null && record.pulled >= fail) {
          this.destroy(new Error('disk read failed'));
          return;
        }
        if (record.pulled >= message.body.length) {
          this.push(null);
          return;
        }
        const end = Math.min(message.body.length, record.pulled + chunkSize, fail ?? Infinity);
        const chunk = message.body.subarray(record.pulled, end);
        record.pulled = end;
        this.push(chunk);
      },
      destroy(error, callback) {
        record.destroyed = true;
        callback(error);
      },
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
