/** Helpers for messages held as chunk lists (never flattened just to pass them on). */

export function totalLength(chunks: readonly Uint8Array[]): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  return total;
}

/** The chunks from byte `start` on, as views. */
export function chunksFrom(chunks: readonly Buffer[], start: number): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const end = offset + chunk.length;
    if (end > start && chunk.length > 0) out.push(start > offset ? chunk.subarray(start - offset) : chunk);
    offset = end;
  }
  return out;
}

/** The first `limit` bytes (or fewer): a view when the first chunk holds them, else a copy. */
export function head(chunks: readonly Buffer[], limit: number): Buffer {
  const first = chunks.find((chunk) => chunk.length > 0);
  if (first === undefined) return Buffer.alloc(0);
  if (first.length >= limit || chunks.length === 1) return first.subarray(0, limit);
  const parts: Buffer[] = [];
  let taken = 0;
  for (const chunk of chunks) {
    if (taken >= limit) break;
    const part = chunk.subarray(0, limit - taken);
    parts.push(part);
    taken += part.length;
  }
  return Buffer.concat(parts, taken);
}

/** One buffer; a view when there is only one chunk. */
export function contiguous(chunks: readonly Buffer[]): Buffer {
  const nonEmpty = chunks.filter((chunk) => chunk.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0] as Buffer;
  return Buffer.concat(nonEmpty);
}
