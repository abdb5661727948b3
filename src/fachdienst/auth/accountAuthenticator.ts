import { setTimeout as sleep } from 'node:timers/promises';
import type { AccountDirectory } from '../accounts/accountDirectory.js';
import type { AuthCache } from './authCache.js';
import type { AuthOutcome, AuthPurpose, Authenticator } from './authenticator.js';
import { verifyPassword } from './password.js';
import type { AuthFailureCounter } from './throttle.js';

/**
 * Password login for SMTP and POP3 against the accounts view. Order matters for security:
 * the throttle is asked first (a locked-out client learns nothing), the password is checked
 * before the account state (a wrong password never reveals whether an account is locked), and
 * unknown addresses cost the same hash as known ones.
 */
export class AccountAuthenticator implements Authenticator {
  constructor(
    private readonly directory: AccountDirectory,
    private readonly cache: AuthCache,
    private readonly throttle: AuthFailureCounter,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(
    address: string,
    password: string,
    remoteAddress: string,
    purpose: AuthPurpose,
  ): Promise<AuthOutcome> {
    const decision = await this.throttle.check(address, remoteAddress);
    if (!decision.allowed) return { ok: false, reason: 'throttled', retryAfterMs: decision.retryAfterMs };
    if (decision.delayMs > 0) await sleep(decision.delayMs);

    const account = this.directory.findByAddress(address);
    const hash = account?.passwordHash ?? null;
    const valid =
      account !== null && hash !== null
        ? await this.cache.verify(account.address, password, account.credentialVersion, () =>
            verifyPassword(password, hash),
          )
        : await verifyPassword(password, DUMMY_HASH).then(() => false);
    if (!valid || account === null) {
      await this.throttle.recordFailure(address, remoteAddress);
      return { ok: false, reason: 'invalid' };
    }
    await this.throttle.recordSuccess(address, remoteAddress);
    const retrievableUntil = account.graceUntil === null ? 0 : Date.parse(account.graceUntil);
    const allowed =
      account.status === 'active' ||
      (purpose === 'retrieve' &&
        account.status === 'deregistered' &&
        this.now().getTime() < retrievableUntil);
    return allowed ? { ok: true, account } : { ok: false, reason: 'locked' };
  }
}

/** A valid hash of a random password: unknown users cost one scrypt, like known ones. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8=';
