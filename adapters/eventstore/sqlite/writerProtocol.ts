import type { AppendResult } from '../port.js';
import type { AppendRequest } from './appender.js';
import type { SerializedStoreError } from './errorCodec.js';

/** Messages between the store (main thread) and its writer thread. */
export type ToWriter =
  | { readonly kind: 'append'; readonly id: number; readonly request: AppendRequest }
  | { readonly kind: 'close' };

export type FromWriter =
  | {
      readonly kind: 'batch';
      readonly outcomes: ReadonlyArray<
        | {
            readonly id: number;
            readonly ok: true;
            readonly result: AppendResult;
            readonly createdMs: number | null;
          }
        | { readonly id: number; readonly ok: false; readonly error: SerializedStoreError }
      >;
    }
  | { readonly kind: 'closed' };

export interface WriterData {
  readonly path: string;
  readonly maxAppendSize: number;
}
