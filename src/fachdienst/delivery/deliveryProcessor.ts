import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedEvent } from '../../../adapters/eventstore/index.js';
import { parseStreamId } from '../../../domain/codec.js';
import { uidOfMessageKey } from '../../../domain/mailbox/index.js';
import { pendingRecipients } from '../../../domain/submission/index.js';
import type { SubmissionState } from '../../../domain/submission/index.js';
import { DomainError } from '../../../domain/shared/errors.js';
import type { ReadModelDb } from '../../../projections/readModelDb.js';
import { prepared } from '../../../projections/statements.js';
import { Mailbox, Submission } from '../../core/aggregates.js';
import type { CommandHandler } from '../../core/commandHandler.js';
import type { Logger } from '../../logging/logger.js';
import { AccountDirectory } from '../accounts/accountDirectory.js';
import { openMailbox } from '../accounts/provisioning.js';
import type { Routing } from '../routing.js';

export interface DeliveryProcessorOptions {
  readonly commands: CommandHandler;
  readonly readModels: ReadModelDb;
  readonly directory: AccountDirectory;
  readonly routing: Routing;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Submissions worked on at once. */
  readonly concurrency?: number;
  /** How often the submissions view is swept for due work (retries, what a restart left pending). */
  readonly idleMs?: number;
  /** Retry delays after a failed attempt; the last one repeats. */
  readonly backoffMs?: readonly number[];
  /** Give up (bounce 4.4.7) on a recipient still undelivered this long after acceptance. */
  readonly maxDeliveryMs?: number;
}

interface DueRow {
  submission_id: string;
}

/**
 * Turns accepted submissions into mailbox deliveries and records each recipient's outcome on the
 * submission. It works from the submissions view: everything pending and due is (re)driven, so
 * a crash at any point only means the work is done again — every step is idempotent (the
 * mailbox ignores a message key it has seen; outcomes for finished recipients are no-ops).
 */
export class DeliveryProcessor {
  private readonly now: () => Date;
  private readonly backoff: readonly number[];
  private wake: (() => void) | null = null;
  private woken = false;
  /** Submissions handed over as they were accepted, not yet started. */
  private readonly handedOver = new Set<string>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly options: DeliveryProcessorOptions) {
    this.now = options.now ?? (() => new Date());
    this.backoff = options.backoffMs ?? [10_000, 60_000, 300_000, 900_000];
  }

  /**
   * Deliver these newly accepted submissions now. Under load this is how work arrives, so the
   * submissions view is only swept on a timer: for retries, for what a restart left pending, and
   * for anything handed over that a failure dropped.
   */
  handOver(submissionIds: Iterable<string>): void {
    for (const id of submissionIds) this.handedOver.add(id);
    this.woken = true;
    this.wake?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    const concurrency = this.options.concurrency ?? 4;
    const sweepEveryMs = this.options.idleMs ?? 1000;
    const running = new Set<Promise<void>>();
    let lastSweep = Number.NEGATIVE_INFINITY; // the first turn sweeps: what a restart left pending
    while (!signal.aborted) {
      this.woken = false;
      const ids = [...this.handedOver];
      this.handedOver.clear();
      const nowMs = this.now().getTime();
      if (nowMs - lastSweep >= sweepEveryMs) {
        lastSweep = nowMs;
        ids.push(...this.due(concurrency * 4));
      }
      const start = [...new Set(ids)].filter((id) => !this.inFlight.has(id));
      for (const id of start) {
        if (running.size >= concurrency) await Promise.race(running);
        if (signal.aborted) break;
        this.inFlight.add(id);
        const work = this.deliver(id)
          .catch((error: unknown) =>
            this.options.log.error({ err: error, submissionId: id }, 'delivery attempt failed'),
          )
          .finally(() => {
            this.inFlight.delete(id);
            running.delete(work);
          });
        running.add(work);
      }
      if (start.length > 0 || this.woken) continue;
      await this.sleep(signal, Math.max(1, lastSweep + sweepEveryMs - this.now().getTime()));
    }
    await Promise.allSettled(running);
  }

  /** Age in ms of the oldest accepted but unfinished submission (0 when none). */
  oldestPendingAgeMs(): number {
    const row = prepared<[], { accepted_at: string | null }>(
      this.options.readModels.db,
      `SELECT min(accepted_at) AS accepted_at FROM submissions WHERE status = 'pending'`,
    ).get();
    if (row?.accepted_at == null) return 0;
    return Math.max(0, this.now().getTime() - Date.parse(row.accepted_at));
  }

  pendingCount(): number {
    const row = prepared<[], { n: bigint }>(
      this.options.readModels.db,
      `SELECT count(*) AS n FROM submissions WHERE status = 'pending'`,
    ).get();
    return Number(row?.n ?? 0n);
  }

  private due(limit: number): string[] {
    return prepared<[string, number], DueRow>(
      this.options.readModels.db,
      `SELECT submission_id FROM submissions WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?`,
    )
      .all(this.now().toISOString(), limit)
      .map((row) => row.submission_id);
  }

  private sleep(signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** One attempt for every pending recipient of a submission. */
  async deliver(submissionId: string): Promise<void> {
    const { commands } = this.options;
    // Usually accepted by this process a moment ago, so cached; every outcome is a command anyway.
    const { state } = await commands.read(Submission, submissionId, { cached: true });
    const accepted = acceptedOf(state);
    if (accepted === null) return;
    for (const recipient of pendingRecipients(state)) {
      const now = this.now();
      const context = { actor: 'delivery', correlationId: submissionId };
      try {
        const outcome = await this.deliverTo(submissionId, accepted, recipient.address);
        await commands.handle(
          Submission,
          submissionId,
          outcome.kind === 'delivered'
            ? {
                type: 'RecordDelivery',
                recipient: recipient.address,
                mailboxId: outcome.mailboxId,
                uid: outcome.uid,
                now: now.toISOString(),
              }
            : {
                type: 'BounceRecipient',
                recipient: recipient.address,
                status: outcome.status,
                diagnostic: outcome.diagnostic,
                now: now.toISOString(),
              },
          { ...context, commandId: `outcome:${submissionId}:${recipient.address.toLowerCase()}` },
        );
      } catch (error) {
        const attempt = recipient.attempts + 1;
        const giveUp =
          now.getTime() - Date.parse(accepted.acceptedAt) >=
          (this.options.maxDeliveryMs ?? 5 * 24 * 3600_000);
        const reason = error instanceof Error ? error.message : String(error);
        this.options.log.warn({ submissionId, attempt, reason }, 'delivery deferred');
        await commands.handle(
          Submission,
          submissionId,
          giveUp
            ? {
                type: 'BounceRecipient',
                recipient: recipient.address,
                status: '4.4.7',
                diagnostic: 'delivery time expired',
                now: now.toISOString(),
              }
            : {
                type: 'DeferRecipient',
                recipient: recipient.address,
                reason: reason.slice(0, 200),
                nextAttemptAt: new Date(now.getTime() + this.backoffFor(attempt)).toISOString(),
                now: now.toISOString(),
              },
          { ...context, commandId: `retry:${submissionId}:${recipient.address.toLowerCase()}:${attempt}` },
        );
      }
    }
  }

  private backoffFor(attempt: number): number {
    return this.backoff[Math.min(attempt - 1, this.backoff.length - 1)] ?? 60_000;
  }

  private async deliverTo(
    submissionId: string,
    accepted: AcceptedData,
    address: string,
  ): Promise<
    | { kind: 'delivered'; mailboxId: string; uid: number }
    | { kind: 'bounced'; status: string; diagnostic: string }
  > {
    const route = this.options.routing.route(address);
    if (route === 'provider') throw new RelayUnavailableError(address);
    if (route === 'foreign') return { kind: 'bounced', status: '5.7.1', diagnostic: 'not a KIM domain' };
    const account = this.options.directory.findByAddress(address);
    if (account === null || account.status === 'pending') {
      return { kind: 'bounced', status: '5.1.1', diagnostic: 'no such user' };
    }
    if (!AccountDirectory.canReceive(account)) {
      return { kind: 'bounced', status: '5.2.1', diagnostic: 'mailbox disabled' };
    }
    const mailboxId = account.accountId;
    const now = this.now().toISOString();
    const receive = () =>
      this.options.commands.handle(
        Mailbox,
        mailboxId,
        {
          type: 'ReceiveMessage',
          messageKey: submissionId,
          blobRef: accepted.blobRef,
          blobSize: accepted.size,
          traceHeader: traceHeader(accepted),
          digest: accepted.digest,
          now,
        },
        { commandId: `deliver:${submissionId}:${mailboxId}`, actor: 'delivery', correlationId: submissionId },
      );
    let result;
    try {
      result = await receive();
    } catch (error) {
      // Provisioning opens the mailbox; should that step have been lost, delivery opens it.
      if (!(error instanceof DomainError && error.code === 'MAILBOX_NOT_FOUND')) throw error;
      await openMailbox(this.options.commands, mailboxId, account.accountId, now, 'delivery');
      result = await receive();
    }
    const uid = uidOfMessageKey(result.state, submissionId);
    if (uid === null) throw new Error('mailbox did not record the delivery');
    return { kind: 'delivered', mailboxId, uid };
  }

  /** For tests and tools: drive everything due now until nothing is left. */
  async drain(): Promise<void> {
    for (let ids = this.due(100); ids.length > 0; ids = this.due(100)) {
      for (const id of ids) await this.deliver(id);
      await sleep(0);
    }
  }
}

/** The submissions that a batch of recorded events accepted (for `handOver`). */
export function acceptedSubmissionIds(batch: readonly RecordedEvent[]): string[] {
  const ids: string[] = [];
  for (const event of batch) {
    if (event.type !== 'accepted') continue;
    const stream = parseStreamId(event.streamId);
    if (stream?.aggregate === 'submission') ids.push(stream.id);
  }
  return ids;
}

export class RelayUnavailableError extends Error {
  override readonly name = 'RelayUnavailableError';
  readonly code = 'RELAY_UNAVAILABLE';
  constructor(readonly recipient: string) {
    super('relay to other KIM providers is not available yet');
  }
}

interface AcceptedData {
  readonly sender: string;
  readonly blobRef: string;
  readonly size: number;
  readonly digest: string;
  readonly acceptedAt: string;
  readonly receivedHeader?: string;
}

function acceptedOf(state: SubmissionState): AcceptedData | null {
  const context = state.machine.context;
  if (context.blobRef === '' || context.acceptedAt === null) return null;
  return {
    sender: context.sender,
    blobRef: context.blobRef,
    size: context.size,
    digest: context.digest,
    acceptedAt: context.acceptedAt,
    ...(context.receivedHeader === undefined ? {} : { receivedHeader: context.receivedHeader }),
  };
}

/** Return-Path and Received are the only bytes the Fachdienst adds (RFC 5321 §4.4). */
function traceHeader(accepted: AcceptedData): string {
  return `Return-Path: <${accepted.sender}>\r\n${accepted.receivedHeader ?? ''}`;
}
