import { describe, it, expect } from 'vitest';
import { accountDecider, accountEvent, accountStatus } from '../../../domain/account/index.js';
import { fold } from '../../../domain/shared/decider.js';
import { CorruptHistoryError } from '../../../domain/shared/errors.js';
import {
  ACCOUNT_ID,
  T0,
  absent,
  accountSpec,
  active,
  codeIssued,
  day,
  deregistered,
  locked,
  present,
  purged,
  registered,
  revoked,
  unlocked,
} from './fixtures.js';

describe('account evolve', () => {
  it('evolve throws on a locked event before registration (corrupt history)', () => {
    accountSpec().given([locked()]).thenHistoryIsCorrupt();
  });

  it('evolve throws on a second registered event', () => {
    accountSpec().given([registered(), registered()]).thenHistoryIsCorrupt();
  });

  it('evolve throws on a locked event for a locked account', () => {
    accountSpec()
      .given([...active, locked(), locked()])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on present for an account that is not absent', () => {
    accountSpec()
      .given([...active, present()])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on any event after purged', () => {
    accountSpec()
      .given([...active, deregistered(), purged(), revoked()])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a registered event for a different account than the code was issued to', () => {
    const foreign = accountEvent('registered', {
      accountId: 'someone-else',
      address: 'x@y',
      telematikId: null,
      passwordHash: 'h',
      kimVersion: '1.0',
      dataTimeToLive: 10,
      at: T0,
    });
    accountSpec().given([codeIssued(), foreign]).thenHistoryIsCorrupt();
  });

  it('the corrupt history error names the aggregate, the event and the state', () => {
    expect(() => fold(accountDecider, [unlocked()])).toThrow(
      expect.objectContaining({
        aggregate: 'account',
        eventType: 'unlocked',
        stateDescription: expect.stringContaining('none'),
      }),
    );
    expect(() => fold(accountDecider, [unlocked()])).toThrow(CorruptHistoryError);
  });

  it('a long history folds to the expected state', () => {
    const history = [codeIssued(), registered()];
    for (let i = 0; i < 500; i++)
      history.push(locked(day(2 + i)), unlocked(day(2 + i)), absent(day(2 + i)), present(day(2 + i)));
    history.push(locked(), deregistered(), revoked());
    const s = fold(accountDecider, history);
    expect(accountStatus(s)).toBe('locked');
    expect(s.machine.context.accountId).toBe(ACCOUNT_ID);
    expect(s.machine.context.lastEventAt).toBe(day(40));
  });
});
