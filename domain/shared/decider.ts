/**
 * The Decider pattern (Emmett / Jérémie Chassaing): an aggregate is three pure functions.
 * `decide` checks invariants and returns the events a command causes ([] = idempotent no-op);
 * `evolve` folds one event into the state and throws CorruptHistoryError on an event the
 * aggregate would never have produced in that state.
 *
 * `evolve` may reuse the state object it is given (the fold owns it), so callers must not keep
 * references to an earlier state after evolving it. This keeps per-message indexes O(1) per
 * event instead of copying them (a copied index made folds quadratic; see es-design §4.1).
 */
export interface Decider<State, Command, Event> {
  readonly aggregate: string;
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

/** Fold a history from the initial state. */
export function fold<State, Command, Event>(
  decider: Decider<State, Command, Event>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
