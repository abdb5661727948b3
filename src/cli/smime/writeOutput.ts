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

/** Writes `chunks` to `stream`. Throws CliError (exit 1) when the stream fails, e.g. EPIPE. */
export async function writeChunks(
  stream: NodeJS.WritableStream,
  chunks: readonly Uint8Array[],
): Promise<void> {
  let failure: unknown;
  // Without a listener an EPIPE would be an uncaught exception instead of a one-line error.
  const onError = (error: Error): void => {
    failure ??= error;
  };
  stream.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (failure !== undefined) break;
      if (chunk.length === 0) continue;
      if (!stream.write(chunk)) await drained(stream);
    }
  } catch (error) {
    failure ??= error;
  } finally {
    stream.off('error', onError);
  }
  if (failure !== undefined) throw new CliError(`cannot write the output: ${describe(failure)}`, 1);
}
