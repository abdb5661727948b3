import { describe, it, expect } from 'vitest';
import { accountEvent, accountStatus } from '../../../domain/account/index.js';
import { HASH, accountSpec, active, codeIssued, day, deregistered, locked, purged } from './fixtures.js';

describe('account access and data', () => {
  it('locking an active account locks it with the reason', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Lock', reason: 'auth-failures', now: day(2) })
      .then([accountEvent('locked', { reason: 'auth-failures', at: day(2) })])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('locked');
        expect(s.machine.context.lockReason).toBe('auth-failures');
      });
  });

  it('locking an already locked account is a no-op', () => {
    accountSpec()
      .given([...active, locked()])
      .when({ type: 'Lock', reason: 'operator', now: day(3) })
      .thenNothingHappened();
  });

  it('unlocking a locked account makes it active again', () => {
    accountSpec()
      .given([...active, locked()])
      .when({ type: 'Unlock', by: 'ops', now: day(3) })
      .then([accountEvent('unlocked', { by: 'ops', at: day(3) })])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('active');
        expect(s.machine.context.lockReason).toBeUndefined();
      });
  });

  it('unlocking an account that is not locked is a no-op', () => {
    accountSpec()
      .given(active)
      .when({ type: 'Unlock', now: day(3) })
      .thenNothingHappened();
  });

  it('commands on an account that does not exist are rejected with ACCOUNT_NOT_FOUND', () => {
    accountSpec()
      .when({ type: 'Lock', reason: 'operator', now: day(1) })
      .thenThrows('ACCOUNT_NOT_FOUND');
    accountSpec()
      .when({ type: 'ChangePassword', passwordHash: 'x', now: day(1) })
      .thenThrows('ACCOUNT_NOT_FOUND');
  });

  it('commands other than register on a pending account are rejected with ACCOUNT_NOT_REGISTERED', () => {
    accountSpec()
      .given([codeIssued()])
      .when({ type: 'Lock', reason: 'operator', now: day(1) })
      .thenThrows('ACCOUNT_NOT_REGISTERED');
  });

  it('commands other than purge and revoke on a deregistered account are rejected with ACCOUNT_DEREGISTERED', () => {
    const history = [...active, deregistered()];
    accountSpec()
      .given(history)
      .when({ type: 'Lock', reason: 'operator', now: day(31) })
      .thenThrows('ACCOUNT_DEREGISTERED');
    accountSpec()
      .given(history)
      .when({ type: 'ChangePassword', passwordHash: 'new', now: day(31) })
      .thenThrows('ACCOUNT_DEREGISTERED');
    accountSpec()
      .given(history)
      .when({ type: 'ClearAbsence', now: day(31) })
      .thenThrows('ACCOUNT_DEREGISTERED');
  });

  it('commands on a purged account are rejected with ACCOUNT_PURGED', () => {
    accountSpec()
      .given([...active, deregistered(), purged()])
      .when({ type: 'Unlock', now: day(70) })
      .thenThrows('ACCOUNT_PURGED');
  });

  it('changing the password records the new hash', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ChangePassword', passwordHash: 'new-hash', now: day(2) })
      .then([accountEvent('passwordChanged', { passwordHash: 'new-hash', at: day(2) })])
      .thenState((s) => expect(s.machine.context.passwordHash).toBe('new-hash'));
  });

  it('changing the password of a locked account is allowed', () => {
    accountSpec()
      .given([...active, locked()])
      .when({ type: 'ChangePassword', passwordHash: 'new-hash', now: day(3) })
      .then([accountEvent('passwordChanged', { passwordHash: 'new-hash', at: day(3) })])
      .thenState((s) => expect(accountStatus(s)).toBe('locked'));
  });

  it('changing the password to the same hash is a no-op', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ChangePassword', passwordHash: HASH, now: day(2) })
      .thenNothingHappened();
  });

  it('changing base data records only the fields that change', () => {
    accountSpec()
      .given(active)
      .when({
        type: 'ChangeBaseData',
        kimVersion: '1.5+',
        dataTimeToLive: 30,
        displayName: 'Praxis Müller',
        now: day(2),
      })
      .then([
        accountEvent('baseDataChanged', { dataTimeToLive: 30, displayName: 'Praxis Müller', at: day(2) }),
      ])
      .thenState((s) => {
        expect(s.machine.context.dataTimeToLive).toBe(30);
        expect(s.machine.context.kimVersion).toBe('1.5+');
        expect(s.machine.context.displayName).toBe('Praxis Müller');
      });
  });

  it('changing base data to the current values is a no-op', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ChangeBaseData', kimVersion: '1.5+', dataTimeToLive: 90, now: day(2) })
      .thenNothingHappened();
  });

  it('a data time-to-live outside 10..365 days is rejected with INVALID_BASE_DATA', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ChangeBaseData', dataTimeToLive: 400, now: day(2) })
      .thenThrows('INVALID_BASE_DATA');
    accountSpec()
      .given(active)
      .when({ type: 'ChangeBaseData', dataTimeToLive: 12.5, now: day(2) })
      .thenThrows('INVALID_BASE_DATA');
  });

  it('an unknown KIM version is rejected with INVALID_BASE_DATA', () => {
    accountSpec()
      .given(active)
      // @ts-expect-error: adapters may pass unvalidated input
      .when({ type: 'ChangeBaseData', kimVersion: '2.0', now: day(2) })
      .thenThrows('INVALID_BASE_DATA');
  });

  it('an overlong display name is rejected with INVALID_BASE_DATA', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ChangeBaseData', displayName: 'x'.repeat(257), now: day(2) })
      .thenThrows('INVALID_BASE_DATA');
  });
});
