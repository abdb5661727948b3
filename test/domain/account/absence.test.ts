import { describe, it, expect } from 'vitest';
import { absenceActive, accountEvent, accountStatus } from '../../../domain/account/index.js';
import { absent, accountSpec, active, day, present } from './fixtures.js';

const setAbsence = (text: string, from: string, until: string, now = day(2)) =>
  ({ type: 'SetAbsence', text, from, until, now }) as const;

describe('account absence note', () => {
  it('setting an absence note records it', () => {
    accountSpec()
      .given(active)
      .when(setAbsence('Urlaub', day(5), day(10)))
      .then([accountEvent('absent', { text: 'Urlaub', from: day(5), until: day(10), at: day(2) })])
      .thenState((s) =>
        expect(s.machine.context.absence).toEqual({ text: 'Urlaub', from: day(5), until: day(10) }),
      );
  });

  it('setting a new note while absent replaces the note', () => {
    accountSpec()
      .given([...active, absent()])
      .when(setAbsence('verlängert', day(2), day(25), day(4)))
      .then([accountEvent('absent', { text: 'verlängert', from: day(2), until: day(25), at: day(4) })])
      .thenState((s) => expect(s.machine.context.absence?.until).toBe(day(25)));
  });

  it('setting the same note again is a no-op', () => {
    accountSpec()
      .given([...active, absent()])
      .when(setAbsence('Praxis geschlossen', day(2), day(20), day(4)))
      .thenNothingHappened();
  });

  it('an absence text of 2048 characters is accepted and 2049 rejected with INVALID_ABSENCE', () => {
    accountSpec()
      .given(active)
      .when(setAbsence('x'.repeat(2048), day(2), day(3)))
      .then([accountEvent('absent', { text: 'x'.repeat(2048), from: day(2), until: day(3), at: day(2) })]);
    accountSpec()
      .given(active)
      .when(setAbsence('x'.repeat(2049), day(2), day(3)))
      .thenThrows('INVALID_ABSENCE');
  });

  it('an absence that does not start before it ends is rejected with INVALID_ABSENCE', () => {
    accountSpec()
      .given(active)
      .when(setAbsence('x', day(5), day(5)))
      .thenThrows('INVALID_ABSENCE');
    accountSpec()
      .given(active)
      .when(setAbsence('x', day(6), day(5)))
      .thenThrows('INVALID_ABSENCE');
  });

  it('an absence with dates that are not instants is rejected with INVALID_ABSENCE', () => {
    accountSpec()
      .given(active)
      .when(setAbsence('x', 'next monday', day(5)))
      .thenThrows('INVALID_ABSENCE');
  });

  it('an absence that has already ended is rejected with INVALID_ABSENCE', () => {
    accountSpec()
      .given(active)
      .when(setAbsence('x', day(1), day(2), day(3)))
      .thenThrows('INVALID_ABSENCE');
  });

  it('clearing the absence note makes the account present', () => {
    accountSpec()
      .given([...active, absent()])
      .when({ type: 'ClearAbsence', now: day(3) })
      .then([present()])
      .thenState((s) => {
        expect(s.machine.context.absence).toBeUndefined();
        expect(s.machine.matches({ registered: { presence: 'present' } })).toBe(true);
      });
  });

  it('clearing the absence note of a present account is a no-op', () => {
    accountSpec()
      .given(active)
      .when({ type: 'ClearAbsence', now: day(3) })
      .thenNothingHappened();
  });

  it('absence and access are independent regions', () => {
    accountSpec()
      .given([...active, absent()])
      .when({ type: 'Lock', reason: 'operator', now: day(3) })
      .thenState((s) => {
        expect(accountStatus(s)).toBe('locked');
        expect(s.machine.context.absence?.text).toBe('Praxis geschlossen');
      });
  });

  it('absenceActive is true only within [from, until)', () => {
    accountSpec()
      .given([...active, absent()])
      .thenState((s) => {
        expect(absenceActive(s, day(1.9))).toBe(false);
        expect(absenceActive(s, day(2))).toBe(true);
        expect(absenceActive(s, day(19.9))).toBe(true);
        expect(absenceActive(s, day(20))).toBe(false);
      });
  });

  it('absenceActive is false once the note is cleared', () => {
    accountSpec()
      .given([...active, absent(), present()])
      .thenState((s) => expect(absenceActive(s, day(5))).toBe(false));
  });
});
