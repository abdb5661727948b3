/**
 * Writes binary output to standard output, in order, honouring back-pressure so that an 800 MB
 * result piped into a slow reader is not buffered twice.
 */
import { CliError } from '../cliError.js';

/** Resolves on 'drain'; rejects on 'error' or 'close' (the reader went away). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = (): void => settle();
    const onError = (error: Error): void => settle(error);
    const onClose = (): void => settle(new Error('EPIPE'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes pieces to `stream` as they are produced, in order, waiting whenever the stream asks
 * for it. A failure (EPIPE: the reader went away) is kept and reported as CliError (exit 1) by
 * the next `write` or by `close`.
 */
export class OutputWriter {
  readonly #stream: NodeJS.WritableStream;
  #failure: unknown;
  // Without a listener an EPIPE would be an uncaught exception instead of a one-line error.
  readonly #onError = (error: Error): void => {
    this.#failure ??= error;
  };

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
    stream.on('error', this.#onError);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (chunk.length === 0) return;
    try {
      if (!this.#stream.write(chunk)) await drained(this.#stream);
    } catch (error) {
      this.#failure ??= error;
    }
    this.#throwIfFailed();
  }

  /** Stops listening for errors; throws CliError when a write failed. */
  close(): void {
    this.#stream.off('error', this.#onError);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined)
      throw new CliError(`cannot write the output: ${describe(this.#failure)}`, 1);
  }
}

/** Writes `chunks` to `stream`. Throws CliError (exit 1) when the stream fails, e.g. EPIPE. */
export async function writeChunks(
  stream: NodeJS.WritableStream,
  chunks: readonly Uint8Array[],
): Promise<void> {
  const output = new OutputWriter(stream);
  try {
    for (const chunk of chunks) await output.write(chunk);
  } finally {
    output.close();
  }
}
