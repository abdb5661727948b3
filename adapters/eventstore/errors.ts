import type { ExpectedRevision, Revision } from './port.js';

/** Base class so callers can test `err instanceof EventStoreError` and switch on `code`. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

export class WrongExpectedVersionError extends EventStoreError {
  override readonly name = 'WrongExpectedVersionError';
  readonly code = 'WRONG_EXPECTED_VERSION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: Revision | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
  }
}

export class StreamNotFoundError extends EventStoreError {
  override readonly name = 'StreamNotFoundError';
  readonly code = 'STREAM_NOT_FOUND';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} not found`);
  }
}

export class StreamDeletedError extends EventStoreError {
  override readonly name = 'StreamDeletedError';
  readonly code = 'STREAM_DELETED';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} is deleted permanently`);
  }
}

export class MaxAppendSizeExceededError extends EventStoreError {
  override readonly name = 'MaxAppendSizeExceededError';
  readonly code = 'MAX_APPEND_SIZE_EXCEEDED';
  constructor(
    readonly streamId: string,
    readonly maxAppendSize: number,
  ) {
    super(`append to ${streamId} exceeds ${maxAppendSize} bytes`);
  }
}

export class InvalidAppendError extends EventStoreError {
  override readonly name = 'InvalidAppendError';
  readonly code = 'INVALID_APPEND';
}

export class StoreClosedError extends EventStoreError {
  override readonly name = 'StoreClosedError';
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('event store is closed');
  }
}
