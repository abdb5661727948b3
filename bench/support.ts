import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Peak resident set size of this process so far, in MiB (the kernel's own high-water mark). */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  // Benchmarks write to the same disk as the data directory would (not tmpfs) when TMPDIR allows.
  const dir = mkdtempSync(join(process.env['KIM_BENCH_DIR'] ?? tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Print the phase result as the last line of stdout for the driver to collect. */
export function report(result: object): void {
  process.stdout.write(`${JSON.stringify({ ...result, peakRssMb: peakRssMb() })}\n`);
}
