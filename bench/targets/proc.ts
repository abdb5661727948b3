import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { round } from '../support.js';

/** Peak RSS (VmHWM) of one process, in MiB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Writing 5 to clear_refs resets the peak RSS, so each scenario reports its own peak. */
export function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not permitted: the peak then covers the whole run so far */
  }
}

interface Stat {
  readonly ppid: number;
  /** utime + stime (own) and cutime + cstime (reaped children), in clock ticks. */
  readonly own: number;
  readonly children: number;
}

function stat(pid: number): Stat | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const n = (i: number) => Number(fields[i] ?? 0);
    return { ppid: n(1), own: n(11) + n(12), children: n(13) + n(14) };
  } catch {
    return null; // exited between listing and reading
  }
}

/** CPU seconds of one process only. */
export function cpuSeconds(pid: number): number {
  return round((stat(pid)?.own ?? 0) / 100, 2);
}

/**
 * CPU seconds of a whole process tree: every live process under `root` plus what its processes
 * have reaped from children that exited (a multi-process server forks per connection or job).
 */
export function treeCpuSeconds(root: number): number {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s !== null) stats.set(pid, s);
  }
  let ticks = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const s = stats.get(pid);
    if (s === undefined) continue;
    ticks += s.own + s.children;
    for (const [child, cs] of stats) if (cs.ppid === pid) pending.push(child);
  }
  return round(ticks / 100, 2);
}
