import {
  InvalidAppendError,
  MaxAppendSizeExceededError,
  StoreClosedError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../errors.js';
import type { ExpectedRevision, Revision } from '../port.js';

/** A store error as plain data, to cross from the writer thread (structured clone keeps bigints). */
export interface SerializedStoreError {
  readonly name: string;
  readonly message: string;
  readonly streamId?: string;
  readonly expected?: ExpectedRevision;
  readonly actual?: Revision | 'no_stream';
  readonly maxAppendSize?: number;
  readonly code?: string;
}

export function serializeStoreError(error: unknown): SerializedStoreError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & Partial<SerializedStoreError>;
  return {
    name: e.name,
    message: e.message,
    ...(e.streamId === undefined ? {} : { streamId: e.streamId }),
    ...(e.expected === undefined ? {} : { expected: e.expected }),
    ...(e.actual === undefined ? {} : { actual: e.actual }),
    ...(e.maxAppendSize === undefined ? {} : { maxAppendSize: e.maxAppendSize }),
    ...(e.code === undefined ? {} : { code: e.code }),
  };
}

/** Rebuild the typed error, so callers on the main thread can use `instanceof` as usual. */
export function deserializeStoreError(e: SerializedStoreError): Error {
  switch (e.name) {
    case 'WrongExpectedVersionError':
      return new WrongExpectedVersionError(e.streamId ?? '', e.expected ?? 'any', e.actual ?? 'no_stream');
    case 'StreamDeletedError':
      return new StreamDeletedError(e.streamId ?? '');
    case 'StreamNotFoundError':
      return new StreamNotFoundError(e.streamId ?? '');
    case 'MaxAppendSizeExceededError':
      return new MaxAppendSizeExceededError(e.streamId ?? '', e.maxAppendSize ?? 0);
    case 'InvalidAppendError':
      return new InvalidAppendError(e.message);
    case 'StoreClosedError':
      return new StoreClosedError();
    default: {
      const error = new Error(e.message);
      error.name = e.name;
      if (e.code !== undefined) Object.assign(error, { code: e.code });
      return error;
    }
  }
}
