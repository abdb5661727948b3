import { expect } from 'vitest';
import type { Decider } from '../../domain/shared/decider.js';
import { CorruptHistoryError, DomainError } from '../../domain/shared/errors.js';
import type { DomainErrorCode } from '../../domain/shared/errors.js';
import type { DomainEvent } from '../../domain/shared/event.js';

/**
 * Given/when/then for deciders:
 *
 *   spec(decider).given([e1, e2]).when(command).then([e3])
 *   spec(decider).given([...]).when(command).thenNothingHappened()
 *   spec(decider).given([...]).when(command).thenThrows('CODE')
 *   spec(decider).given([...]).when(command).then([...]).thenState((s) => ...)
 *   spec(decider).given([...]).thenHistoryIsCorrupt()
 *
 * `given` is folded with evolve from initialState; `then*` calls decide. Produced events are
 * always evolved onto the folded state too (decide must only produce events evolve accepts), and
 * when a `decode` is given each produced event must survive a JSON round trip through the codec
 * unchanged (decide must only produce events the store can read back).
 *
 * Only the `when` stage has a `then` method (it is thenable): always finish a chain with a then*
 * call, whose results are not thenable, so vitest never mistakes a returned spec for a promise.
 */
export interface SpecOptions<E> {
  readonly decode?: (type: string, schemaVersion: number, data: unknown) => E;
}

export interface GivenStage<S, C, E> {
  when(command: C): WhenStage<S, E>;
  /** Folding `given` must throw CorruptHistoryError. */
  thenHistoryIsCorrupt(): void;
  /** Assert on the state folded from `given`. */
  thenState(assert: (state: S) => void): void;
}

export interface WhenStage<S, E> {
  then(expected: readonly E[]): ThenStage<S>;
  thenNothingHappened(): ThenStage<S>;
  thenThrows(code: DomainErrorCode): void;
  /** Assert on the state after the produced events (whatever they are) were evolved. */
  thenState(assert: (state: S) => void): void;
}

export interface ThenStage<S> {
  thenState(assert: (state: S) => void): void;
}

export function spec<S, C, E extends DomainEvent>(
  decider: Decider<S, C, E>,
  options: SpecOptions<E> = {},
): { given(events: readonly E[]): GivenStage<S, C, E>; when(command: C): WhenStage<S, E> } {
  const given = (history: readonly E[]): GivenStage<S, C, E> => {
    const foldGiven = (): S => {
      let state = decider.initialState();
      for (const event of history) state = decider.evolve(state, event);
      return state;
    };
    return {
      when: (command) => whenStage(decider, options, foldGiven, command),
      thenHistoryIsCorrupt() {
        expect(foldGiven).toThrow(CorruptHistoryError);
      },
      thenState(assert) {
        assert(foldGiven());
      },
    };
  };
  return { given, when: (command) => given([]).when(command) };
}

function whenStage<S, C, E extends DomainEvent>(
  decider: Decider<S, C, E>,
  options: SpecOptions<E>,
  foldGiven: () => S,
  command: C,
): WhenStage<S, E> {
  const run = (): { produced: E[]; after: S } => {
    let state = foldGiven();
    const produced = decider.decide(command, state);
    for (const event of produced) {
      if (options.decode !== undefined) {
        const stored: unknown = JSON.parse(JSON.stringify(event.data));
        expect(
          options.decode(event.type, event.schemaVersion, stored),
          `codec round trip of '${event.type}'`,
        ).toStrictEqual(event);
      }
      state = decider.evolve(state, event);
    }
    return { produced, after: state };
  };
  const assertThen = (expected: readonly E[]): ThenStage<S> => {
    const { produced, after } = run();
    expect(produced).toStrictEqual(expected);
    return { thenState: (assert) => assert(after) };
  };
  return {
    then: assertThen,
    thenNothingHappened: () => assertThen([]),
    thenThrows(code) {
      const state = foldGiven();
      let error: unknown;
      try {
        decider.decide(command, state);
      } catch (e) {
        error = e;
      }
      expect(error, `expected decide to throw ${code}`).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe(code);
    },
    thenState(assert) {
      assert(run().after);
    },
  };
}
