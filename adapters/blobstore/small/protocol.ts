/** Messages between the small-blob tier (main thread) and its writer thread. */
export type ToSmallBlobWriter =
  | {
      readonly kind: 'put';
      readonly id: number;
      readonly ref: string;
      readonly data: Uint8Array;
      readonly nowMs: number;
    }
  /** Deletes the row only if it is still the one gc looked at (a newer put refreshed created_ms). */
  | {
      readonly kind: 'delete';
      readonly id: number;
      readonly ref: string;
      readonly ifCreatedMs: number | null;
    }
  | { readonly kind: 'close' };

export type FromSmallBlobWriter =
  | {
      readonly kind: 'batch';
      readonly outcomes: ReadonlyArray<
        | { readonly id: number; readonly ok: true; readonly changed: boolean }
        | { readonly id: number; readonly ok: false; readonly message: string }
      >;
    }
  | { readonly kind: 'closed' };

export interface SmallBlobWriterData {
  readonly path: string;
}
