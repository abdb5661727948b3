import type { AccountRecord } from '../accounts/accountDirectory.js';

/** Why a login did not succeed; each protocol maps these to its own replies in one place. */
export type AuthFailure = 'invalid' | 'locked' | 'throttled' | 'unavailable';

export type AuthOutcome =
  | { readonly ok: true; readonly account: AccountRecord }
  | { readonly ok: false; readonly reason: AuthFailure; readonly retryAfterMs?: number };

/** SMTP authenticates to send, POP3 to retrieve: a deregistered account may still retrieve. */
export type AuthPurpose = 'send' | 'retrieve';

export interface Authenticator {
  authenticate(
    address: string,
    password: string,
    remoteAddress: string,
    purpose: AuthPurpose,
  ): Promise<AuthOutcome>;
}
