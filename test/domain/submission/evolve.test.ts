import { describe, it, expect } from 'vitest';
import { fold } from '../../../domain/shared/decider.js';
import { submissionDecider, submissionStatus } from '../../../domain/submission/index.js';
import {
  ALICE,
  BOB,
  accepted,
  bouncedFor,
  completed,
  deferredFor,
  deliveredTo,
  relayedTo,
  submissionSpec,
} from './fixtures.js';

describe('submission evolve', () => {
  it('evolve throws on an outcome before the submission was accepted (corrupt history)', () => {
    submissionSpec()
      .given([deliveredTo(ALICE)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a second accepted event', () => {
    submissionSpec().given([accepted, accepted]).thenHistoryIsCorrupt();
  });

  it('evolve throws on an outcome for an unknown recipient', () => {
    submissionSpec()
      .given([accepted, deliveredTo('eve@x')])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a second outcome for a final recipient', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), bouncedFor(ALICE)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on a deferral with a skipped attempt number', () => {
    submissionSpec()
      .given([accepted, deferredFor(BOB, 2)])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on completed while a recipient is still pending', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), completed()])
      .thenHistoryIsCorrupt();
  });

  it('evolve throws on any event after completed', () => {
    submissionSpec()
      .given([accepted, deliveredTo(ALICE), relayedTo(BOB), completed(), completed()])
      .thenHistoryIsCorrupt();
  });

  it('a history with many deferrals folds to the last attempt', () => {
    const history = [accepted, deliveredTo(ALICE)];
    for (let attempt = 1; attempt <= 200; attempt++) history.push(deferredFor(BOB, attempt));
    history.push(bouncedFor(BOB), completed());
    const s = fold(submissionDecider, history);
    expect(submissionStatus(s)).toBe('completed');
    expect(s.machine.context.recipients[BOB]).toEqual({ address: BOB, state: 'bounced', attempts: 200 });
  });
});
