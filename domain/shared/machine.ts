import { createActor, initialTransition } from 'xstate';
import type { AnyActorScope, AnyStateMachine, EventFromLogic, EventObject, SnapshotFrom } from 'xstate';
import { CorruptHistoryError } from './errors.js';

/**
 * Run one event through a machine with xstate's pure `transition` and return the next snapshot.
 * xstate hands back the very same snapshot object for an event it does not accept (no transition
 * in this state, or a guard said no); every accepted transition in our machines assigns at least
 * `lastEventAt`, so `next === prev` means the history is corrupt. Returned actions are ignored.
 */
export function advance<M extends AnyStateMachine>(
  aggregate: string,
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): SnapshotFrom<M> {
  const next = machine.transition(snapshot, event, inertScope(machine)) as SnapshotFrom<M>;
  if (next === snapshot) {
    const { type } = event as EventObject;
    throw new CorruptHistoryError(aggregate, type, describeSnapshot(snapshot));
  }
  return next;
}

export function describeSnapshot(snapshot: { readonly value: unknown; readonly status: string }): string {
  return `${JSON.stringify(snapshot.value)} (${snapshot.status})`;
}

const scopes = new WeakMap<AnyStateMachine, AnyActorScope>();

type ScopeOf<M extends AnyStateMachine> = Parameters<M['transition']>[2];

/**
 * xstate's `transition()` builds a fresh (unstarted) actor for every call, which made a fold
 * cost ~25 µs per event. Our machines spawn no children and we discard actions, so one inert
 * scope per machine is enough and does the same work: `machine.transition` with it is the
 * pure transition, about 4× faster. The actor is never started; nothing here runs or schedules.
 */
function inertScope<M extends AnyStateMachine>(machine: M): ScopeOf<M> {
  let scope = scopes.get(machine);
  if (scope === undefined) {
    const self = createActor(machine);
    scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => undefined,
      defer: () => undefined,
      system: self.system,
      stopChild: () => undefined,
      emit: () => undefined,
      actionExecutor: () => undefined,
    };
    scopes.set(machine, scope);
  }
  return scope as ScopeOf<M>;
}

const initialSnapshots = new WeakMap<AnyStateMachine, unknown>();

/**
 * The machine's initial snapshot, computed once. `initialTransition` builds a new actor on every
 * call (tens of kilobytes, and every new stream's command starts from it); snapshots are
 * immutable in xstate (a transition returns a new one), and this one is frozen so that a
 * mutation anywhere would throw instead of leaking into the next aggregate.
 */
export function initialSnapshot<M extends AnyStateMachine>(machine: M): SnapshotFrom<M> {
  let snapshot = initialSnapshots.get(machine);
  if (snapshot === undefined) {
    // Our machines take no input; the cast only drops xstate's input typing.
    const initial = initialTransition as (machine: AnyStateMachine) => readonly [unknown, unknown];
    snapshot = deepFreeze(initial(machine)[0]);
    initialSnapshots.set(machine, snapshot);
  }
  return snapshot as SnapshotFrom<M>;
}

/** Freezes plain data (objects and arrays); the machine definition a snapshot points to is left alone. */
function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null && seen.size > 1) return value;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'machine') continue;
    deepFreeze(inner, seen);
  }
  return Object.freeze(value);
}
