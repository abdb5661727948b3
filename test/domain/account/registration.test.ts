import { describe, it, expect } from 'vitest';
import { accountEvent, accountStatus } from '../../../domain/account/index.js';
import {
  ACCOUNT_ID,
  ADDRESS,
  CODE_DIGEST,
  HASH,
  T0,
  TI_ID,
  accountSpec,
  active,
  codeIssued,
  day,
  deregistered,
  purged,
  registered,
} from './fixtures.js';

const register = (extra: Record<string, unknown> = {}, now = day(1)) => ({
  type: 'Register' as const,
  accountId: ACCOUNT_ID,
  address: ADDRESS,
  passwordHash: HASH,
  kimVersion: '1.5+' as const,
  dataTimeToLive: 90,
  now,
  ...extra,
});

describe('account registration', () => {
  it('issuing a registration code makes a new account pending', () => {
    accountSpec()
      .when({
        type: 'IssueRegistrationCode',
        accountId: ACCOUNT_ID,
        telematikId: TI_ID,
        codeDigest: CODE_DIGEST,
        expiresAt: day(7),
        now: T0,
      })
      .then([codeIssued()])
      .thenState((s) => expect(accountStatus(s)).toBe('pending'));
  });

  it('re-issuing a code to a pending account replaces the code', () => {
    const newDigest = 'b'.repeat(64);
    accountSpec()
      .given([codeIssued()])
      .when({
        type: 'IssueRegistrationCode',
        accountId: ACCOUNT_ID,
        telematikId: TI_ID,
        codeDigest: newDigest,
        expiresAt: day(8),
        now: day(1),
      })
      .then([
        accountEvent('registrationCodeIssued', {
          accountId: ACCOUNT_ID,
          telematikId: TI_ID,
          codeDigest: newDigest,
          expiresAt: day(8),
          at: day(1),
        }),
      ])
      .thenState((s) => expect(s.machine.context.codeDigest).toBe(newDigest));
  });

  it('issuing the same code again is a no-op', () => {
    accountSpec()
      .given([codeIssued()])
      .when({
        type: 'IssueRegistrationCode',
        accountId: ACCOUNT_ID,
        telematikId: TI_ID,
        codeDigest: CODE_DIGEST,
        expiresAt: day(7),
        now: day(1),
      })
      .thenNothingHappened();
  });

  it('a code that expires before it is issued is rejected', () => {
    accountSpec()
      .when({
        type: 'IssueRegistrationCode',
        accountId: ACCOUNT_ID,
        telematikId: TI_ID,
        codeDigest: CODE_DIGEST,
        expiresAt: T0,
        now: T0,
      })
      .thenThrows('INVALID_COMMAND');
  });

  it('issuing a code for a registered account is rejected with ACCOUNT_EXISTS', () => {
    accountSpec()
      .given(active)
      .when({
        type: 'IssueRegistrationCode',
        accountId: ACCOUNT_ID,
        telematikId: TI_ID,
        codeDigest: CODE_DIGEST,
        expiresAt: day(9),
        now: day(2),
      })
      .thenThrows('ACCOUNT_EXISTS');
  });

  it('registering with the issued code registers the account under the code’s TI-ID', () => {
    accountSpec()
      .given([codeIssued()])
      .when(register({ codeDigest: CODE_DIGEST }))
      .then([registered(TI_ID)])
      .thenState((s) => {
        expect(accountStatus(s)).toBe('active');
        expect(s.machine.context.codeDigest).toBeUndefined();
      });
  });

  it('registering with a wrong code is rejected with REGISTRATION_CODE_INVALID', () => {
    accountSpec()
      .given([codeIssued()])
      .when(register({ codeDigest: 'f'.repeat(64) }))
      .thenThrows('REGISTRATION_CODE_INVALID');
  });

  it('registering a pending account without a code is rejected with REGISTRATION_CODE_INVALID', () => {
    accountSpec().given([codeIssued()]).when(register()).thenThrows('REGISTRATION_CODE_INVALID');
  });

  it('registering after the code expired is rejected with REGISTRATION_CODE_EXPIRED', () => {
    accountSpec()
      .given([codeIssued(day(7))])
      .when(register({ codeDigest: CODE_DIGEST }, day(7.001)))
      .thenThrows('REGISTRATION_CODE_EXPIRED');
  });

  it('registering exactly at the expiry instant is still allowed', () => {
    accountSpec()
      .given([codeIssued(day(7))])
      .when(register({ codeDigest: CODE_DIGEST }, day(7)))
      .thenState((s) => expect(accountStatus(s)).toBe('active'));
  });

  it('the operator provisions an account without a code', () => {
    accountSpec()
      .when(register({ telematikId: TI_ID }))
      .then([registered(TI_ID)])
      .thenState((s) => expect(accountStatus(s)).toBe('active'));
  });

  it('operator provisioning without a TI-ID records telematikId null', () => {
    accountSpec()
      .when(register())
      .then([registered(null)]);
  });

  it('a code presented for an account that never had one is invalid', () => {
    accountSpec()
      .when(register({ codeDigest: CODE_DIGEST }))
      .thenThrows('REGISTRATION_CODE_INVALID');
  });

  it('registering an already registered account is rejected with ACCOUNT_EXISTS', () => {
    accountSpec().given(active).when(register()).thenThrows('ACCOUNT_EXISTS');
  });

  it('registering with a data time-to-live outside 10..365 days is rejected with INVALID_BASE_DATA', () => {
    accountSpec()
      .when(register({ dataTimeToLive: 9 }))
      .thenThrows('INVALID_BASE_DATA');
    accountSpec()
      .when(register({ dataTimeToLive: 366 }))
      .thenThrows('INVALID_BASE_DATA');
  });

  it('registering with an address that is not a mail address is rejected', () => {
    accountSpec()
      .when(register({ address: 'no-at-sign' }))
      .thenThrows('INVALID_COMMAND');
  });

  it('registering on a deregistered account is rejected with ACCOUNT_DEREGISTERED', () => {
    accountSpec()
      .given([...active, deregistered()])
      .when(register({}, day(31)))
      .thenThrows('ACCOUNT_DEREGISTERED');
  });

  it('registering on a purged account is rejected with ACCOUNT_PURGED', () => {
    accountSpec()
      .given([...active, deregistered(), purged()])
      .when(register({}, day(62)))
      .thenThrows('ACCOUNT_PURGED');
  });

  it('a command with a now that is not an instant is rejected', () => {
    accountSpec().when(register({}, 'yesterday')).thenThrows('INVALID_COMMAND');
  });
});
