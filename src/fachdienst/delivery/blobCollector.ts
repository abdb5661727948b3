import type { BlobStore } from '../../../adapters/blobstore/index.js';
import type { ReadModelDb } from '../../../projections/readModelDb.js';
import { prepared } from '../../../projections/statements.js';
import type { Logger } from '../../logging/logger.js';

/**
 * Removes message bodies nothing refers to any more: not a live message in any maildrop and not
 * a submission still being delivered. The grace period covers the moment between a body being
 * stored and its `accepted` event being appended (and a projection lagging behind).
 */
export class BlobCollector {
  constructor(
    private readonly blobs: BlobStore,
    private readonly readModels: ReadModelDb,
    private readonly log: Logger,
    private readonly options: { readonly intervalMs?: number; readonly graceMs?: number } = {},
  ) {}

  isReferenced(ref: string): boolean {
    const db = this.readModels.db;
    return (
      prepared<[string], { x: bigint }>(
        db,
        `SELECT 1 AS x FROM maildrop_messages WHERE blob_ref = ? AND deleted_at IS NULL LIMIT 1`,
      ).get(ref) !== undefined ||
      prepared<[string], { x: bigint }>(
        db,
        `SELECT 1 AS x FROM submissions WHERE blob_ref = ? AND status = 'pending' LIMIT 1`,
      ).get(ref) !== undefined
    );
  }

  async collect(now = Date.now()): Promise<void> {
    const result = await this.blobs.gc({
      isReferenced: (ref) => this.isReferenced(ref),
      graceMs: this.options.graceMs ?? 24 * 3600_000,
      now,
    });
    if (result.deleted > 0 || result.tempRemoved > 0)
      this.log.info(result, 'unreferenced message bodies removed');
  }

  /** Collects once an interval until the signal aborts; a failed run is logged and retried later. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.options.intervalMs ?? 3600_000;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, interval);
        signal.addEventListener('abort', wake, { once: true });
      });
      if (signal.aborted) return;
      await this.collect().catch((error: unknown) =>
        this.log.error({ err: error }, 'blob collection failed'),
      );
    }
  }
}
