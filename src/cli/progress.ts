/**
 * Progress for long store scans. On a terminal it redraws one line; otherwise (CI, pipes) it
 * prints a line at most every few seconds so logs stay readable.
 */
export class Progress {
  private lastDraw = 0;
  private readonly interactive: boolean;

  constructor(
    private readonly label: string,
    private readonly total: bigint | null,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.interactive = out.isTTY;
  }

  update(done: number | bigint, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    const every = this.interactive ? 100 : 5000;
    if (!force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    const n = BigInt(done);
    const pct = this.total !== null && this.total > 0n ? ` (${(n * 100n) / this.total}%)` : '';
    const of = this.total !== null ? ` / ${this.total.toLocaleString('en')}` : '';
    const line = `${this.label}: ${n.toLocaleString('en')}${of} events${pct}`;
    if (this.interactive) this.out.write(`\r${line}\x1b[K`);
    else this.out.write(`${line}\n`);
  }

  done(): void {
    if (!this.quiet && this.interactive) this.out.write('\r\x1b[K');
  }
}
