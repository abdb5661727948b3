import { describe, it, expect } from 'vitest';
import { accountEvent, accountStatus } from '../../../domain/account/index.js';
import {
  absent,
  accountSpec,
  active,
  codeIssued,
  day,
  deregistered,
  locked,
  purged,
  revoked,
  unlocked,
} from './fixtures.js';

describe('account deregistration', () => {
  it('deregistering starts a grace period of graceDays', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Deregister', graceDays: 30, now: day(30) })
      .then([deregistered(day(30), day(60))])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('deregistered');
        expect(s.machine.context.graceUntil).toBe(day(60));
      });
  });

  it('deregistering a deregistered account is a no-op', () => {
    accountSpec()
      .given([...active, deregistered()])
      .when({ type: 'Deregister', graceDays: 30, now: day(31) })
      .thenNothingHappened();
  });

  it('a negative grace period is rejected', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Deregister', graceDays: -1, now: day(30) })
      .thenThrows('INVALID_COMMAND');
  });

  it('deregistering a locked account is allowed', () => {
    accountSpec()
      .given([...active, locked()])
      .when({ type: 'Deregister', graceDays: 30, now: day(30) })
      .then([deregistered(day(30), day(60))]);
  });

  it('deregistering a pending account is rejected with ACCOUNT_NOT_REGISTERED', () => {
    accountSpec()
      .given([codeIssued()])
      .when({ type: 'Deregister', graceDays: 30, now: day(1) })
      .thenThrows('ACCOUNT_NOT_REGISTERED');
  });

  it('revoking deregistration within the grace period restores an active account', () => {
    accountSpec()
      .given([...active, deregistered()])
      .when({ type: 'RevokeDeregistration', now: day(40) })
      .then([revoked(day(40))])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('active');
        expect(s.machine.context.graceUntil).toBeUndefined();
      });
  });

  it('revoking deregistration restores the locked state', () => {
    accountSpec()
      .given([...active, locked(), deregistered()])
      .when({ type: 'RevokeDeregistration', now: day(40) })
      .then([revoked(day(40))])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('locked');
        expect(s.machine.value).toEqual({ registered: { access: 'locked', presence: 'present' } });
      });
  });

  it('revoking deregistration restores the absence note and both regions', () => {
    accountSpec()
      .given([...active, locked(), absent(), deregistered()])
      .when({ type: 'RevokeDeregistration', now: day(40) })
      .thenState((s) => {
        expect(s.machine.value).toEqual({ registered: { access: 'locked', presence: 'absent' } });
        expect(s.machine.context.absence?.text).toBe('Praxis geschlossen');
      });
  });

  it('the restored regions accept their events after a revocation', () => {
    accountSpec()
      .given([...active, locked(), deregistered(), revoked()])
      .when({ type: 'Unlock', now: day(41) })
      .then([unlocked(day(41))])
      .thenState((s) => expect(accountStatus(s)).toBe('active'));
  });

  it('revoking when the account is not deregistered is rejected with NOT_DEREGISTERED', () => {
    accountSpec()
      .given(active)
      .when({ type: 'RevokeDeregistration', now: day(40) })
      .thenThrows('NOT_DEREGISTERED');
  });

  it('revoking after the grace period is rejected with ACCOUNT_DEREGISTERED', () => {
    accountSpec()
      .given([...active, deregistered(day(30), day(60))])
      .when({ type: 'RevokeDeregistration', now: day(60) })
      .thenThrows('ACCOUNT_DEREGISTERED');
  });

  it('revoking on a purged account is rejected with ACCOUNT_PURGED', () => {
    accountSpec()
      .given([...active, deregistered(), purged()])
      .when({ type: 'RevokeDeregistration', now: day(62) })
      .thenThrows('ACCOUNT_PURGED');
  });

  it('purging after the grace period purges the account', () => {
    accountSpec()
      .given([...active, deregistered(day(30), day(60))])
      .when({ type: 'Purge', now: day(61) })
      .then([purged(day(61))])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('purged');
        expect(s.machine.status).toBe('done');
        expect(s.machine.context.passwordHash).toBe('');
      });
  });

  it('purging during the grace period is rejected with GRACE_PERIOD_RUNNING', () => {
    accountSpec()
      .given([...active, deregistered(day(30), day(60))])
      .when({ type: 'Purge', now: day(59) })
      .thenThrows('GRACE_PERIOD_RUNNING');
  });

  it('a forced purge ignores the grace period', () => {
    accountSpec()
      .given([...active, deregistered(day(30), day(60))])
      .when({ type: 'Purge', force: true, now: day(31) })
      .then([purged(day(31))]);
  });

  it('purging a registered account is rejected with NOT_DEREGISTERED', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Purge', force: true, now: day(31) })
      .thenThrows('NOT_DEREGISTERED');
  });

  it('purging a purged account is a no-op', () => {
    accountSpec()
      .given([...active, deregistered(), purged()])
      .when({ type: 'Purge', now: day(70) })
      .thenNothingHappened();
  });

  it('purging an account that does not exist is rejected with ACCOUNT_NOT_FOUND', () => {
    accountSpec()
      .when({ type: 'Purge', now: day(70) })
      .thenThrows('ACCOUNT_NOT_FOUND');
  });

  it('a deregistration with zero grace days can be purged at once', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Deregister', graceDays: 0, now: day(30) })
      .then([accountEvent('deregistered', { at: day(30), graceUntil: day(30) })]);
    accountSpec()
      .given([...active, deregistered(day(30), day(30))])
      .when({ type: 'Purge', now: day(30) })
      .then([purged(day(30))]);
  });
});
