import { accountDecider, accountEvent, decodeAccountEvent } from '../../../domain/account/index.js';
import type { AccountEvent } from '../../../domain/account/index.js';
import { spec } from '../../support/deciderSpec.js';

export const T0 = '2026-03-01T10:00:00.000Z';
/** T0 plus `days` (fractions allowed). */
export const day = (days: number): string => new Date(Date.parse(T0) + days * 86_400_000).toISOString();

export const ACCOUNT_ID = 'acc-1';
export const ADDRESS = 'praxis.mueller@arzt.kim.telematik';
export const TI_ID = '1-2-ARZT-1234';
export const CODE_DIGEST = 'a'.repeat(64);
export const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA';

export const accountSpec = () => spec(accountDecider, { decode: decodeAccountEvent });

export const codeIssued = (expiresAt = day(7), codeDigest = CODE_DIGEST): AccountEvent =>
  accountEvent('registrationCodeIssued', {
    accountId: ACCOUNT_ID,
    telematikId: TI_ID,
    codeDigest,
    expiresAt,
    at: T0,
  });

export const registered = (telematikId: string | null = TI_ID): AccountEvent =>
  accountEvent('registered', {
    accountId: ACCOUNT_ID,
    address: ADDRESS,
    telematikId,
    passwordHash: HASH,
    kimVersion: '1.5+',
    dataTimeToLive: 90,
    at: day(1),
  });

export const locked = (at = day(2)): AccountEvent =>
  accountEvent('locked', { reason: 'operator', by: 'ops', at });
export const unlocked = (at = day(3)): AccountEvent => accountEvent('unlocked', { at });
export const absent = (at = day(2)): AccountEvent =>
  accountEvent('absent', { text: 'Praxis geschlossen', from: day(2), until: day(20), at });
export const present = (at = day(3)): AccountEvent => accountEvent('present', { at });
export const deregistered = (at = day(30), graceUntil = day(60)): AccountEvent =>
  accountEvent('deregistered', { at, graceUntil });
export const revoked = (at = day(40)): AccountEvent => accountEvent('deregistrationRevoked', { at });
export const purged = (at = day(61)): AccountEvent => accountEvent('purged', { at });

/** A registered account (provisioned by the operator). */
export const active: AccountEvent[] = [registered()];
