import type { EventStore, Position, Revision } from '../../adapters/eventstore/index.js';
import { StreamNotFoundError, WrongExpectedVersionError } from '../../adapters/eventstore/index.js';
import type { DomainEvent } from '../../domain/shared/event.js';
import type { AggregateType } from './aggregate.js';
import type { EventContext } from './eventCodec.js';
import { encodeEvent, schemaVersionOf } from './eventCodec.js';
import { uuidv5 } from './ids.js';

export interface HandleResult<State, Event> {
  /** Events appended by this call ([] when the command was a no-op or had already been handled). */
  readonly events: readonly Event[];
  /** State after the command; valid until the next command on the same stream (it is reused). */
  readonly state: State;
  /** Stream revision after the command, null if the stream still has no events. */
  readonly revision: Revision | null;
  /** Global position of the last appended event (null when nothing was appended). */
  readonly position: Position | null;
  /** True when this command id had already been applied (a retry after a lost reply). */
  readonly alreadyHandled: boolean;
}

export class ConcurrencyRetriesExhaustedError extends Error {
  override readonly name = 'ConcurrencyRetriesExhaustedError';
  readonly code = 'CONCURRENCY_RETRIES_EXHAUSTED';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`stream ${streamId}: still conflicting after ${attempts} attempts`);
  }
}

/**
 * Load → fold → decide → append with the expected revision. A concurrent writer makes the append
 * fail with WrongExpectedVersion; the command is then decided again on the fresh state. Event ids
 * are derived from the command id, so running the same command twice appends nothing the second
 * time (the first event id is found in the stream and the command counts as handled).
 *
 * Commands on the same stream that arrive through this handler run one after another: retrying
 * alone cannot resolve in-process contention, because concurrent appends share one group commit
 * and only one of them wins per round, so n concurrent commands would need n attempts each.
 * Retries remain for writers outside this handler (other processes).
 */
export interface HandleOptions {
  /** The aggregate id was just generated, so its stream almost certainly does not exist. */
  readonly newStream?: boolean;
}

export interface ReadOptions {
  /**
   * Accept this handler's cached fold without reading newer events. Only for work that acts
   * through commands afterwards: those decide on the current state again, so a fold that another
   * process made stale costs a retry, never a wrong decision.
   */
  readonly cached?: boolean;
}

/** A folded stream plus the ids of its newest events (to recognise a retried command). */
interface CachedFold {
  readonly type: unknown;
  readonly state: unknown;
  readonly revision: Revision;
  readonly recentIds: Set<string>;
}

const RECENT_IDS = 256;

export class CommandHandler {
  /** Per stream, the promise that settles when the last queued command on it has finished. */
  private readonly tails = new Map<string, Promise<void>>();
  /**
   * Folded states of recently used streams (least recently used first). Commands on one stream
   * run one at a time, so a cached state is only ever advanced by the command that holds it.
   */
  private readonly cache = new Map<string, CachedFold>();

  constructor(
    private readonly store: EventStore,
    private readonly options: { readonly maxAttempts?: number; readonly maxCachedStreams?: number } = {},
  ) {}

  async handle<State, Command, Event extends DomainEvent>(
    type: AggregateType<State, Command, Event>,
    aggregateId: string,
    command: Command,
    context: EventContext,
    options: HandleOptions = {},
  ): Promise<HandleResult<State, Event>> {
    const streamId = type.streamId(aggregateId);
    return this.serialise(streamId, () => this.handleNow(type, streamId, command, context, options));
  }

  /**
   * The current state of an aggregate (read through the same per-stream queue as commands, so it
   * never observes a half-applied command). Valid until the next command on that stream.
   */
  async read<State, Command, Event extends DomainEvent>(
    type: AggregateType<State, Command, Event>,
    aggregateId: string,
    options: ReadOptions = {},
  ): Promise<{ state: State; revision: Revision | null }> {
    const streamId = type.streamId(aggregateId);
    const { state, revision } = await this.serialise(
      streamId,
      async () =>
        (options.cached === true ? this.cached(type, streamId, '') : undefined) ??
        (await this.load(type, streamId)),
    );
    return { state, revision };
  }

  /**
   * Runs `work` after everything already queued for the stream has finished (failed or not):
   * one command at a time per aggregate, like an actor's mailbox.
   */
  private serialise<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamId) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(streamId, tail);
    void tail.then(() => {
      if (this.tails.get(streamId) === tail) this.tails.delete(streamId);
    });
    return result;
  }

  private async handleNow<State, Command, Event extends DomainEvent>(
    type: AggregateType<State, Command, Event>,
    streamId: string,
    command: Command,
    context: EventContext,
    options: HandleOptions,
  ): Promise<HandleResult<State, Event>> {
    const firstId = eventId(context.commandId, 0);
    let assumeNew = options.newStream === true;
    const maxAttempts = this.options.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      // First attempt without a read where possible: a fresh random id has no stream yet, and a
      // cached fold is current unless another process appended meanwhile. Either way a wrong
      // guess makes the append fail on its expected revision, and the retry loads properly.
      const loaded = assumeNew
        ? { state: type.decider.initialState(), revision: null, seenFirstId: false }
        : ((attempt === 1 ? this.cached(type, streamId, firstId) : undefined) ??
          (await this.load(type, streamId, firstId)));
      assumeNew = false;
      if (loaded.seenFirstId) {
        return {
          events: [],
          state: loaded.state,
          revision: loaded.revision,
          position: null,
          alreadyHandled: true,
        };
      }
      const events = type.decider.decide(command, loaded.state);
      if (events.length === 0) {
        return {
          events,
          state: loaded.state,
          revision: loaded.revision,
          position: null,
          alreadyHandled: false,
        };
      }
      try {
        const result = await this.store.appendToStream(
          streamId,
          events.map((event, i) => encodeEvent(event, eventId(context.commandId, i), context)),
          { expectedRevision: loaded.revision ?? 'no_stream' },
        );
        let state = loaded.state;
        for (const event of events) state = type.decider.evolve(state, event);
        const recentIds = this.cache.get(streamId)?.recentIds ?? new Set<string>();
        events.forEach((_, i) => addRecent(recentIds, eventId(context.commandId, i)));
        this.remember(streamId, type, state, result.nextExpectedRevision, recentIds);
        return {
          events,
          state,
          revision: result.nextExpectedRevision,
          position: result.position,
          alreadyHandled: false,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (attempt >= maxAttempts) throw new ConcurrencyRetriesExhaustedError(streamId, attempt);
      }
    }
  }

  /**
   * Fold the aggregate's stream, starting from the cached fold when there is one (then only the
   * events after its revision are read). Also reports whether `lookForId` is among the events read:
   * that detects a retried command whose events are not yet folded here (for example after a
   * restart). Retries of commands already folded are caught by the deciders, which treat repeated
   * deliveries, deletions and outcomes as no-ops.
   */
  private async load<State, Command, Event extends DomainEvent>(
    type: AggregateType<State, Command, Event>,
    streamId: string,
    lookForId?: string,
  ): Promise<{ state: State; revision: Revision | null; seenFirstId: boolean }> {
    const cached = this.cache.get(streamId);
    this.cache.delete(streamId); // re-inserted below: Map order is the LRU order
    const fromCache = cached !== undefined && cached.type === type;
    let state = fromCache ? (cached.state as State) : type.decider.initialState();
    let revision: Revision | null = fromCache ? cached.revision : null;
    const recentIds = fromCache ? cached.recentIds : new Set<string>();
    let seenFirstId = lookForId !== undefined && recentIds.has(lookForId);
    try {
      for await (const recorded of this.store.readStream(streamId, {
        fromRevision: revision === null ? 'start' : revision + 1n,
      })) {
        state = type.decider.evolve(
          state,
          type.decode(recorded.type, schemaVersionOf(recorded), recorded.data),
        );
        revision = recorded.revision;
        if (recorded.id === lookForId) seenFirstId = true;
        addRecent(recentIds, recorded.id);
      }
    } catch (error) {
      // evolve may have advanced the state part-way; never keep such a state.
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    this.remember(streamId, type, state, revision, recentIds);
    return { state, revision, seenFirstId };
  }

  /** The cached fold of the stream, if any, as `load` would return it without reading. */
  private cached<State, Command, Event extends DomainEvent>(
    type: AggregateType<State, Command, Event>,
    streamId: string,
    lookForId: string,
  ): { state: State; revision: Revision; seenFirstId: boolean } | undefined {
    const cached = this.cache.get(streamId);
    if (cached === undefined || cached.type !== type) return undefined;
    this.cache.delete(streamId); // re-inserted: Map order is the LRU order
    this.cache.set(streamId, cached);
    return {
      state: cached.state as State,
      revision: cached.revision,
      seenFirstId: cached.recentIds.has(lookForId),
    };
  }

  private remember(
    streamId: string,
    type: unknown,
    state: unknown,
    revision: Revision | null,
    recentIds: Set<string>,
  ): void {
    if (revision === null) return;
    this.cache.set(streamId, { type, state, revision, recentIds });
    const max = this.options.maxCachedStreams ?? 10_000;
    while (this.cache.size > max) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

function addRecent(ids: Set<string>, id: string): void {
  ids.add(id);
  if (ids.size > RECENT_IDS) {
    const oldest = ids.values().next().value;
    if (oldest !== undefined) ids.delete(oldest);
  }
}

/** Event i of a command: deterministic, so a retried command produces the same ids. */
export function eventId(commandId: string, index: number): string {
  return uuidv5(`event:${commandId}:${index}`);
}
