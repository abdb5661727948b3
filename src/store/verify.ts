import type { Position, Revision } from '../../adapters/eventstore/index.js';
import type { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { schemaVersionOf } from '../core/eventCodec.js';
import { aggregateTypeOfStream } from '../core/aggregates.js';

export interface VerifyProblem {
  readonly kind: 'position-order' | 'revision-gap' | 'revision-mismatch' | 'decode' | 'fold';
  readonly streamId: string;
  readonly position?: string;
  readonly revision?: string;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  /** Streams whose name belongs to no aggregate this build knows (checked for order only). */
  readonly unknownStreams: number;
  readonly problems: readonly VerifyProblem[];
  /** True when more problems were found than are listed. */
  readonly truncated: boolean;
}

export interface VerifyOptions {
  /** Called as events are checked; the total is every event read twice (log pass + stream pass). */
  readonly onProgress?: (checked: number) => void;
  readonly maxProblems?: number;
}

/**
 * Checks the log the way an auditor would: the global order is strictly increasing, every
 * stream's revisions run 0, 1, 2, … without gaps up to its recorded revision, every event decodes
 * with this build's codecs, and every stream folds through its aggregate's decider (which throws
 * on an event the aggregate could not have produced). Memory stays bounded by the largest stream.
 */
export async function verifyStore(
  store: SqliteEventStore,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const maxProblems = options.maxProblems ?? 100;
  const problems: VerifyProblem[] = [];
  let truncated = false;
  const report = (problem: VerifyProblem) => {
    if (problems.length < maxProblems) problems.push(problem);
    else truncated = true;
  };
  let checked = 0;
  const tick = () => {
    checked += 1;
    if ((checked & 1023) === 0) options.onProgress?.(checked);
  };

  // Pass 1: the global log is in strictly increasing position order.
  let last: Position | null = null;
  let events = 0;
  for await (const event of store.readAll()) {
    if (last !== null && event.position <= last) {
      report({
        kind: 'position-order',
        streamId: event.streamId,
        position: event.position.toString(),
        detail: `position ${event.position} does not follow ${last}`,
      });
    }
    last = event.position;
    events += 1;
    tick();
  }

  // Pass 2: per stream, contiguous revisions, decoding and folding.
  let streams = 0;
  let unknownStreams = 0;
  for await (const stream of store.listStreams()) {
    streams += 1;
    const type = aggregateTypeOfStream(stream.streamId);
    if (type === null) unknownStreams += 1;
    let state = type?.decider.initialState();
    let expected: Revision = 0n;
    let folding = type !== null;
    for await (const event of store.readStreamRaw(stream.streamId)) {
      tick();
      if (event.revision !== expected) {
        report({
          kind: 'revision-gap',
          streamId: stream.streamId,
          revision: event.revision.toString(),
          detail: `expected revision ${expected}, found ${event.revision}`,
        });
      }
      expected = event.revision + 1n;
      if (type === null || !folding) continue;
      try {
        const decoded = type.decode(event.type, schemaVersionOf(event), event.data);
        try {
          state = type.decider.evolve(state, decoded);
        } catch (error) {
          folding = false; // later events of a stream that already failed would only repeat the finding
          report({
            kind: 'fold',
            streamId: stream.streamId,
            revision: event.revision.toString(),
            detail: error instanceof Error ? error.message : String(error),
          });
        }
      } catch (error) {
        folding = false;
        report({
          kind: 'decode',
          streamId: stream.streamId,
          revision: event.revision.toString(),
          detail: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (expected - 1n !== stream.revision) {
      report({
        kind: 'revision-mismatch',
        streamId: stream.streamId,
        detail: `stream records revision ${stream.revision}, events end at ${expected - 1n}`,
      });
    }
  }
  options.onProgress?.(checked);
  return { ok: problems.length === 0, events, streams, unknownStreams, problems, truncated };
}
