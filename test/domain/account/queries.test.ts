import { describe, it, expect } from 'vitest';
import {
  accountDecider,
  accountStatus,
  canAuthenticate,
  canRetrieve,
  canSend,
} from '../../../domain/account/index.js';
import type { AccountEvent } from '../../../domain/account/index.js';
import { fold } from '../../../domain/shared/decider.js';
import { active, codeIssued, day, deregistered, locked, purged } from './fixtures.js';

const state = (events: AccountEvent[]) => fold(accountDecider, events);

describe('account queries', () => {
  it('accountStatus follows the lifecycle', () => {
    expect(accountStatus(state([]))).toBe('none');
    expect(accountStatus(state([codeIssued()]))).toBe('pending');
    expect(accountStatus(state(active))).toBe('active');
    expect(accountStatus(state([...active, locked()]))).toBe('locked');
    expect(accountStatus(state([...active, deregistered()]))).toBe('deregistered');
    expect(accountStatus(state([...active, deregistered(), purged()]))).toBe('purged');
  });

  it('only a registered, unlocked account can send', () => {
    expect(canSend(state(active))).toBe(true);
    expect(canSend(state([codeIssued()]))).toBe(false);
    expect(canSend(state([...active, locked()]))).toBe(false);
    expect(canSend(state([...active, deregistered()]))).toBe(false);
  });

  it('a deregistered account can retrieve until the grace period ends', () => {
    const s = state([...active, deregistered(day(30), day(60))]);
    expect(canRetrieve(s, day(59.9))).toBe(true);
    expect(canRetrieve(s, day(60))).toBe(false);
    expect(canAuthenticate(s, day(59.9))).toBe(true);
    expect(canAuthenticate(s, day(60))).toBe(false);
  });

  it('a locked account cannot retrieve, not even while deregistered', () => {
    expect(canRetrieve(state([...active, locked()]), day(5))).toBe(false);
    expect(canRetrieve(state([...active, locked(), deregistered()]), day(31))).toBe(false);
  });

  it('an active account can retrieve; missing, pending and purged ones cannot', () => {
    expect(canRetrieve(state(active), day(5))).toBe(true);
    expect(canRetrieve(state([]), day(5))).toBe(false);
    expect(canRetrieve(state([codeIssued()]), day(5))).toBe(false);
    expect(canRetrieve(state([...active, deregistered(), purged()]), day(62))).toBe(false);
  });
});
