import type { MessagePort } from 'node:worker_threads';

/** What the owning thread sends to end a writer thread. */
export interface CloseRequest {
  readonly kind: 'close';
}

/**
 * The loop of a writer thread that group-commits: requests that arrive while a commit runs queue
 * up and go into the next commit together (one fsync for all of them); `commit` returns the
 * reply for the whole batch. A close request commits what is queued, then calls `close`, answers
 * `{ kind: 'closed' }` and ends the port.
 */
export function serveGroupCommits<Request extends { readonly kind: string }>(
  port: MessagePort,
  commit: (batch: Request[]) => unknown,
  close: () => void,
): void {
  let queue: Request[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length > 0) port.postMessage(commit(batch));
  };
  port.on('message', (message: Request | CloseRequest) => {
    if (message.kind !== 'close') {
      queue.push(message as Request);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return;
    }
    flush();
    close();
    port.postMessage({ kind: 'closed' });
    port.close();
  });
}
