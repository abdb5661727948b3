/**
 * CRLF normalisation of the client mail (kim-domain §6.1 step 1): bare LF and bare CR become
 * CRLF. Only for the client mail: the binary signed-data entity must never pass through here.
 */
const CR = 0x0d;
const LF = 0x0a;

/**
 * The mail with CRLF line ends. Chunks that are already clean are passed on as they are
 * (views); only chunks with a bare CR or LF are copied.
 */
export function normaliseLineEnds(chunks: readonly Buffer[]): Buffer[] {
  const input = chunks.filter((chunk) => chunk.length > 0);
  const out: Buffer[] = [];
  let previous = -1; // last byte of the previous chunk
  for (let k = 0; k < input.length; k++) {
    const chunk = input[k] as Buffer;
    const next = input[k + 1]?.[0] ?? -1;
    const inserts = bareLineEnds(chunk, previous, next);
    out.push(inserts === 0 ? chunk : converted(chunk, previous, next, inserts));
    previous = chunk[chunk.length - 1] as number;
  }
  return out;
}

/** How many LF (after a bare CR) or CR (before a bare LF) must be inserted. */
function bareLineEnds(chunk: Buffer, previous: number, next: number): number {
  let count = 0;
  for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
    if ((i === 0 ? previous : chunk[i - 1]) !== CR) count++;
  }
  for (let i = chunk.indexOf(CR); i >= 0; i = chunk.indexOf(CR, i + 1)) {
    if ((i + 1 < chunk.length ? chunk[i + 1] : next) !== LF) count++;
  }
  return count;
}

function converted(chunk: Buffer, previous: number, next: number, inserts: number): Buffer {
  const out = Buffer.allocUnsafe(chunk.length + inserts);
  let o = 0;
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i] as number;
    if (b === LF && (i === 0 ? previous : chunk[i - 1]) !== CR) out[o++] = CR;
    out[o++] = b;
    if (b === CR && (i + 1 < chunk.length ? chunk[i + 1] : next) !== LF) out[o++] = LF;
  }
  return out;
}
