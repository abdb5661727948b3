import type { Readable } from 'node:stream';

/**
 * Content-addressed storage for message bodies. A ref is the lowercase hex SHA-256 of the
 * content, so equal bodies share one blob and a ref can be verified by re-hashing. Blobs are
 * immutable; the event log holds refs, never bodies.
 */
export interface BlobStore {
  /**
   * Streams `source` into the store while hashing it; the body is never held whole in memory.
   * Resolves only once the blob is durable under its final name.
   *
   * Size limit: once more than `maxBytes` bytes have arrived, nothing more is written and the
   * partial file is removed at once, but the source is still consumed (and discarded) to its
   * end before `BlobTooLargeError` is thrown. A protocol layer such as SMTP DATA must read the
   * message to its terminator before it may answer, so the store drains rather than aborts;
   * memory stays bounded by one chunk. A failing write is handled the same way (drain, then
   * throw the write error). Only a failing source stops the read early: the error is rethrown.
   * In every failure case the temp file is removed before the promise rejects. If the temp
   * file cannot even be created, put rejects without reading the source.
   */
  put(source: BlobSource, opts: PutOptions): Promise<PutResult>;
  /** For small blobs already in memory; same durability as `put`. */
  putBuffer(data: Uint8Array): Promise<PutResult>;
  /**
   * Streams a blob. An invalid ref throws `InvalidBlobRefError` synchronously; a missing blob is
   * reported as a `BlobNotFoundError` stream error (checking first would need blocking I/O and
   * would race with `delete`/`gc` anyway).
   */
  get(ref: string): Readable;
  /**
   * The whole blob when the store holds it in its small tier (one row, read at once), so a small
   * message can be sent in one write; `null` otherwise (absent, or large: stream it with `get`).
   */
  readSmall(ref: string): Buffer | null;
  /** `null` if the blob does not exist. */
  stat(ref: string): Promise<BlobStat | null>;
  has(ref: string): Promise<boolean>;
  /** `false` if the blob did not exist. The removal is durable when it resolves. */
  delete(ref: string): Promise<boolean>;
  list(): AsyncIterable<BlobEntry>;
  /**
   * Deletes blobs that are unreferenced and older than `graceMs`, and abandoned temp files older
   * than `graceMs`. Young orphans survive: a blob is written before the event that references
   * it is appended, so for a moment every new blob is an orphan. `graceMs` must therefore exceed
   * the longest put-then-append a caller may take. Temp files of puts still running in the same
   * store instance are never removed; those of other processes only by age, so with several
   * processes on one root `graceMs` must also exceed the longest put.
   */
  gc(opts: GcOptions): Promise<GcResult>;
}

export type BlobSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface PutOptions {
  /** Largest accepted body in bytes; exactly `maxBytes` is accepted. */
  readonly maxBytes: number;
}

export interface PutResult {
  readonly ref: string;
  readonly size: number;
}

export interface BlobStat {
  readonly size: number;
  readonly mtimeMs: number;
}

export interface BlobEntry extends BlobStat {
  readonly ref: string;
}

export interface GcOptions {
  readonly isReferenced: (ref: string) => boolean | Promise<boolean>;
  readonly graceMs: number;
  /** Clock of the caller, in ms since the epoch; ages are `now - mtimeMs`. */
  readonly now: number;
}

export interface GcResult {
  /** Blobs looked at. */
  readonly scanned: number;
  readonly deleted: number;
  readonly bytesFreed: number;
  readonly tempRemoved: number;
}

export class BlobTooLargeError extends Error {
  override readonly name = 'BlobTooLargeError';
  readonly code = 'BLOB_TOO_LARGE';
  constructor(
    readonly limit: number,
    /** Bytes the source delivered in total (it is drained to its end). */
    readonly received: number,
  ) {
    super(`blob exceeds the limit of ${limit} bytes (received ${received})`);
  }
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  readonly code = 'BLOB_NOT_FOUND';
  constructor(readonly ref: string) {
    super(`blob ${ref} not found`);
  }
}

export class InvalidBlobRefError extends Error {
  override readonly name = 'InvalidBlobRefError';
  readonly code = 'INVALID_BLOB_REF';
  constructor(readonly ref: unknown) {
    // Print at most a short prefix: the value may be attacker-controlled.
    super(`invalid blob ref ${JSON.stringify(String(ref).slice(0, 80))}: expected 64 lowercase hex chars`);
  }
}

/** A caller passed something the store cannot work with (bad limit, non-byte chunk, ...). */
export class InvalidBlobArgumentError extends Error {
  override readonly name = 'InvalidBlobArgumentError';
  readonly code = 'INVALID_BLOB_ARGUMENT';
}

/**
 * A put failed and removing its temp file failed as well. `errors[0]` is the original failure
 * (e.g. a `BlobTooLargeError`), `errors[1]` the cleanup failure; `gc()` removes the leftover.
 */
export class BlobCleanupError extends AggregateError {
  override readonly name = 'BlobCleanupError';
  readonly code = 'BLOB_CLEANUP_FAILED';
  constructor(
    readonly primary: unknown,
    cleanupError: unknown,
  ) {
    super([primary, cleanupError], `blob write failed and its temp file could not be removed`);
  }
}
