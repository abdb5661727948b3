/**
 * The storage port of the POP3 server. The protocol module knows nothing about accounts,
 * passwords or where messages live; the Fachdienst wires these hooks to its stores.
 */

/** An authenticated account. */
export interface Pop3Account {
  readonly accountId: string;
  readonly address: string;
}

/**
 * The outcome of a credential check. Throttling and delays after failures are the hook's job;
 * the protocol module only maps the outcome to a reply (RFC 2449 / RFC 3206 response codes).
 */
export type Pop3AuthResult =
  | { ok: true; account: Pop3Account }
  | { ok: false; reason: 'invalid' | 'locked' | 'throttled' | 'unavailable' };

/** One message of a maildrop as it was at login. */
export interface Pop3MaildropEntry {
  readonly uid: number;
  /** The unique-id listing (RFC 1939: 1 to 70 characters in 0x21..0x7E). */
  readonly uidl: string;
  /** Exact size in octets of the stored message (with CRLF line ends). */
  readonly size: number;
}

/** The maildrop of one session, exclusively locked for that session until release(). */
export interface Pop3Maildrop {
  /** Frozen at login; message number = index + 1. */
  readonly entries: readonly Pop3MaildropEntry[];
  /**
   * The message bytes exactly as stored (CRLF): a stream, or the whole message as one buffer
   * when it is small (the session then answers RETR with one write).
   */
  open(uid: number): Promise<NodeJS.ReadableStream | Buffer>;
  /** Called after the final ".\r\n" of a complete RETR was written. */
  recordFetch(uid: number): Promise<void>;
  /** Called once at QUIT in UPDATE state with all marked uids; must be all-or-nothing. */
  commitDeletions(uids: readonly number[]): Promise<void>;
  /** Always called exactly once when the session that opened the maildrop ends (QUIT, drop, timeout). */
  release(): Promise<void>;
}

export type Pop3OpenResult =
  { ok: true; maildrop: Pop3Maildrop } | { ok: false; reason: 'in-use' | 'locked' | 'unavailable' };

export interface Pop3Hooks {
  authenticate(user: string, password: string, remoteAddress: string): Promise<Pop3AuthResult>;
  openMaildrop(account: Pop3Account, sessionId: string): Promise<Pop3OpenResult>;
}
