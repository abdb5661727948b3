import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountCommand } from '../../domain/account/index.js';
import { accountsProjection } from '../../projections/accounts.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { Harness, T0, day, hex64 } from './fixtures.js';

interface AccountRow {
  account_id: string;
  status: string;
  address: string | null;
  address_key: string | null;
  telematik_id: string | null;
  password_hash: string | null;
  kim_version: string | null;
  data_ttl_days: bigint | null;
  display_name: string | null;
  lock_reason: string | null;
  absence_text: string | null;
  absence_from: string | null;
  absence_until: string | null;
  registered_at: string | null;
  deregistered_at: string | null;
  grace_until: string | null;
  updated_at: string;
  revision: bigint;
}

const ID = 'acc-1';
const ADDRESS = 'Praxis.Mueller@Arzt.KIM.telematik';
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA';
const TI_ID = '1-2-ARZT-1234';

describe('accounts projection (authentication, routing, admin views)', () => {
  let h: Harness;
  let runner: ProjectionRunner;

  beforeEach(() => {
    h = new Harness();
    runner = new ProjectionRunner(h.store, h.readModels, accountsProjection);
  });

  afterEach(async () => {
    await h.dispose();
  });

  const row = async (id = ID): Promise<AccountRow | undefined> => {
    await runner.catchUp();
    return h.rows<AccountRow>(`SELECT * FROM accounts WHERE account_id = ?`, id)[0];
  };
  const run = (command: AccountCommand, id = ID) => h.account(id, command);

  const issueCode = (codeDigest = hex64('code-1'), now = T0) =>
    run({
      type: 'IssueRegistrationCode',
      accountId: ID,
      telematikId: TI_ID,
      codeDigest,
      expiresAt: day(7),
      now,
    });
  const registerWithCode = (codeDigest = hex64('code-1')) =>
    run({
      type: 'Register',
      accountId: ID,
      address: ADDRESS,
      passwordHash: HASH,
      kimVersion: '1.5+',
      dataTimeToLive: 90,
      codeDigest,
      now: day(1),
    });
  const provision = () =>
    run({
      type: 'Register',
      accountId: ID,
      address: ADDRESS,
      passwordHash: HASH,
      kimVersion: '1.5',
      dataTimeToLive: 30,
      telematikId: TI_ID,
      now: day(1),
    });

  describe('registration', () => {
    it('shows a pending account once a registration code was issued', async () => {
      await issueCode();

      expect(await row()).toMatchObject({
        status: 'pending',
        telematik_id: TI_ID,
        address: null,
        address_key: null,
        password_hash: null,
        updated_at: T0,
        revision: 0n,
      });
    });

    it('keeps the account pending when a new code is issued before registration', async () => {
      await issueCode(hex64('code-1'), T0);
      await issueCode(hex64('code-2'), day(0.5));

      expect(await row()).toMatchObject({ status: 'pending', updated_at: day(0.5), revision: 1n });
      expect(h.count('accounts')).toBe(1);

      await registerWithCode(hex64('code-2'));
      expect(await row()).toMatchObject({ status: 'active', revision: 2n });
    });

    it('turns pending into active with the address as written and a lower-case lookup key', async () => {
      await issueCode();
      await registerWithCode();

      expect(await row()).toMatchObject({
        status: 'active',
        address: ADDRESS,
        address_key: 'praxis.mueller@arzt.kim.telematik',
        telematik_id: TI_ID,
        password_hash: HASH,
        kim_version: '1.5+',
        data_ttl_days: 90n,
        registered_at: day(1),
        updated_at: day(1),
        revision: 1n,
      });
      const found = h.rows<{ account_id: string }>(
        `SELECT account_id FROM accounts WHERE address_key = ?`,
        'PRAXIS.mueller@arzt.kim.TELEMATIK'.toLowerCase(),
      );
      expect(found).toEqual([{ account_id: ID }]);
    });

    it('creates an active account directly for operator provisioning', async () => {
      await provision();

      expect(await row()).toMatchObject({
        status: 'active',
        address_key: ADDRESS.toLowerCase(),
        telematik_id: TI_ID,
        kim_version: '1.5',
        data_ttl_days: 30n,
        revision: 0n,
      });
    });

    it('records password and base data changes', async () => {
      await provision();
      await run({ type: 'ChangePassword', passwordHash: '$argon2id$new', now: day(2) });
      await run({ type: 'ChangeBaseData', displayName: 'Praxis Müller', dataTimeToLive: 120, now: day(3) });

      expect(await row()).toMatchObject({
        password_hash: '$argon2id$new',
        display_name: 'Praxis Müller',
        data_ttl_days: 120n,
        kim_version: '1.5',
        updated_at: day(3),
        revision: 2n,
      });
    });
  });

  describe('access', () => {
    it('shows a locked account with its reason and clears the reason on unlock', async () => {
      await provision();
      await run({ type: 'Lock', reason: 'auth-failures', now: day(2) });
      expect(await row()).toMatchObject({
        status: 'locked',
        lock_reason: 'auth-failures',
        updated_at: day(2),
      });

      await run({ type: 'Unlock', by: 'ops', now: day(3) });
      expect(await row()).toMatchObject({
        status: 'active',
        lock_reason: null,
        updated_at: day(3),
        revision: 2n,
      });
    });
  });

  describe('absence', () => {
    it('sets and clears the absence note', async () => {
      await provision();
      await run({
        type: 'SetAbsence',
        text: 'Praxis geschlossen',
        from: day(2),
        until: day(20),
        now: day(2),
      });
      expect(await row()).toMatchObject({
        absence_text: 'Praxis geschlossen',
        absence_from: day(2),
        absence_until: day(20),
      });

      await run({ type: 'ClearAbsence', now: day(5) });
      expect(await row()).toMatchObject({
        absence_text: null,
        absence_from: null,
        absence_until: null,
        updated_at: day(5),
      });
    });
  });

  describe('deregistration', () => {
    it('shows a deregistered account with the end of its grace period', async () => {
      await provision();
      await run({ type: 'Deregister', graceDays: 30, now: day(10) });

      expect(await row()).toMatchObject({
        status: 'deregistered',
        deregistered_at: day(10),
        grace_until: day(40),
      });
    });

    it('restores an active account when the deregistration is revoked', async () => {
      await provision();
      await run({ type: 'Deregister', graceDays: 30, now: day(10) });
      await run({ type: 'RevokeDeregistration', now: day(11) });

      expect(await row()).toMatchObject({
        status: 'active',
        deregistered_at: null,
        grace_until: null,
        lock_reason: null,
      });
    });

    it('restores a locked account (with its reason) when the deregistration is revoked', async () => {
      await provision();
      await run({ type: 'Lock', reason: 'operator', now: day(2) });
      await run({ type: 'Deregister', graceDays: 30, now: day(10) });
      await run({ type: 'RevokeDeregistration', now: day(11) });

      expect(await row()).toMatchObject({ status: 'locked', lock_reason: 'operator', grace_until: null });
    });

    it('purges an account: no password hash and no personal notes remain', async () => {
      await provision();
      await run({ type: 'ChangeBaseData', displayName: 'Praxis Müller', now: day(2) });
      await run({ type: 'SetAbsence', text: 'Urlaub', from: day(3), until: day(60), now: day(3) });
      await run({ type: 'Deregister', graceDays: 30, now: day(10) });
      await run({ type: 'Purge', now: day(41) });

      expect(await row()).toMatchObject({
        status: 'purged',
        password_hash: null,
        absence_text: null,
        absence_from: null,
        absence_until: null,
        display_name: null,
        // Identifiers stay for the audit trail.
        address: ADDRESS,
        telematik_id: TI_ID,
        updated_at: day(41),
      });
    });
  });

  it('keeps one row per account and ignores mailbox streams', async () => {
    await provision();
    await h.provision('acc-2', 'Zweite@Praxis.KIM.telematik');
    await h.openMailbox('m1', ID);

    await runner.catchUp();

    expect(
      h.rows<{ account_id: string; address_key: string }>(
        `SELECT account_id, address_key FROM accounts ORDER BY account_id`,
      ),
    ).toEqual([
      { account_id: ID, address_key: ADDRESS.toLowerCase() },
      { account_id: 'acc-2', address_key: 'zweite@praxis.kim.telematik' },
    ]);
  });
});
