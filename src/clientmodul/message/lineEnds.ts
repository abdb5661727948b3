/**
 * CRLF normalisation of the client mail (kim-domain §6.1 step 1): bare LF and bare CR become
 * CRLF. Only for the client mail: the binary signed-data entity must never pass through here.
 */
const CR = 0x0d;
const LF = 0x0a;
const CR_ONLY = Buffer.from([CR]);
const CRLF = Buffer.from([CR, LF]);

/**
 * The mail with CRLF line ends. Chunks that are already clean are passed on as they are
 * (views); only chunks with a bare CR or LF are copied.
 */
export function normaliseLineEnds(chunks: readonly Buffer[]): Buffer[] {
  const normaliser = new LineEndNormaliser();
  const out: Buffer[] = [];
  for (const chunk of chunks) for (const piece of normaliser.push(chunk)) out.push(piece);
  for (const piece of normaliser.end()) out.push(piece);
  return out;
}

/**
 * Normalises a mail that arrives in chunks. A chunk's last CR is held back until the next
 * byte shows whether it is bare.
 */
export class LineEndNormaliser {
  /** The last byte pushed so far (-1 before the first). */
  #previous = -1;
  #heldCr = false;
  #changed = false;

  /** Whether any line end had to be changed so far. */
  get changed(): boolean {
    return this.#changed;
  }

  /** The normalised bytes of `chunk` (views where nothing changes, the held CR aside). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    const out: Buffer[] = [];
    if (this.#heldCr) {
      if (chunk[0] === LF) out.push(CR_ONLY);
      else {
        out.push(CRLF);
        this.#changed = true;
      }
      this.#heldCr = false;
    }
    let body = chunk;
    if (chunk[chunk.length - 1] === CR) {
      body = chunk.subarray(0, chunk.length - 1);
      this.#heldCr = true;
    }
    // A CR at the end of `body` is followed by the held CR: it is bare.
    const next = this.#heldCr ? CR : -1;
    const inserts = bareLineEnds(body, this.#previous, next);
    if (inserts > 0) this.#changed = true;
    if (body.length > 0) out.push(inserts === 0 ? body : converted(body, this.#previous, next, inserts));
    this.#previous = chunk[chunk.length - 1] as number;
    return out;
  }

  /** A CR held at the very end is bare. */
  end(): Buffer[] {
    if (!this.#heldCr) return [];
    this.#heldCr = false;
    this.#changed = true;
    return [CRLF];
  }
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
