import { initialTransition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../domain/shared/decider.js';
import { initialSnapshot } from '../../../domain/shared/machine.js';
import { submissionDecider, submissionMachine } from '../../../domain/submission/index.js';
import { ALICE, BOB, accepted, completed, deliveredTo } from '../submission/fixtures.js';

describe('the shared initial snapshot', () => {
  it('is computed once, and folding a history from it leaves it as a fresh one', () => {
    expect(initialSnapshot(submissionMachine)).toBe(initialSnapshot(submissionMachine));
    const folded = fold(submissionDecider, [accepted, deliveredTo(ALICE), deliveredTo(BOB, 2), completed()]);
    expect(folded.machine.value).not.toEqual(initialSnapshot(submissionMachine).value);
    const fresh = initialTransition(submissionMachine)[0];
    const shared = submissionDecider.initialState().machine;
    expect(shared.value).toEqual(fresh.value);
    expect(shared.context).toEqual(fresh.context);
    expect(shared.status).toBe(fresh.status);
  });

  it('is frozen, so a mutation throws instead of reaching the next aggregate', () => {
    const shared = initialSnapshot(submissionMachine);
    expect(() => {
      (shared.context as { recipients: Record<string, unknown> }).recipients['x'] = {};
    }).toThrow(TypeError);
  });
});
