/**
 * Records a session's completed RETRs as `fetched` events, gathered over a short window
 * (`windowMs`) into one append: a client fetching message after message costs an append every
 * window, not one per message. Order is kept; the session's end (QUIT or drop) appends what is
 * left at once. A crash loses at most the last window's records, never a message: DELE takes
 * effect only at QUIT, which first waits for the records.
 */
export class FetchRecorder {
  private queued: number[] = [];
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly append: (uids: readonly number[]) => Promise<void>,
    private readonly windowMs: number,
  ) {}

  record(uid: number): void {
    this.queued.push(uid);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** Resolves once every uid recorded so far has been appended (or its failure logged). */
  async settled(): Promise<void> {
    this.flush();
    await this.running;
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.queued.length === 0) return;
    const uids = this.queued;
    this.queued = [];
    // `append` never rejects (failures are logged by the caller), so the chain never breaks.
    this.running = this.running.then(() => this.append(uids));
  }
}
