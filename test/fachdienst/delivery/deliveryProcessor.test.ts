import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import { liveMessages } from '../../../domain/mailbox/queries.js';
import { submissionStatus } from '../../../domain/submission/index.js';
import { accountsProjection } from '../../../projections/accounts.js';
import { maildropProjection } from '../../../projections/maildrop.js';
import { ReadModelDb } from '../../../projections/readModelDb.js';
import { ProjectionRunner } from '../../../projections/runner.js';
import { submissionsProjection } from '../../../projections/submissions.js';
import { Mailbox, Submission } from '../../../src/core/aggregates.js';
import { CommandHandler } from '../../../src/core/commandHandler.js';
import { AccountDirectory } from '../../../src/fachdienst/accounts/accountDirectory.js';
import { accountIdFor, provisionAccount } from '../../../src/fachdienst/accounts/provisioning.js';
import {
  acceptedSubmissionIds,
  DeliveryProcessor,
} from '../../../src/fachdienst/delivery/deliveryProcessor.js';
import type { DeliveryProcessorOptions } from '../../../src/fachdienst/delivery/deliveryProcessor.js';
import { Routing } from '../../../src/fachdienst/routing.js';

const DIGEST = 'a'.repeat(64);

/** The processor wired as the Fachdienst wires it, over real files, with a chosen retry policy. */
describe('delivery processor', () => {
  let dir: string;
  let store: SqliteEventStore;
  let readModels: ReadModelDb;
  let commands: CommandHandler;
  let stop: AbortController;
  let background: Array<Promise<void>>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kim-delivery-'));
    store = new SqliteEventStore({ path: join(dir, 'events.sqlite') });
    readModels = new ReadModelDb(join(dir, 'read-models.sqlite'));
    commands = new CommandHandler(store);
    stop = new AbortController();
    background = [];
    await provisionAccount(commands, {
      address: 'bob@kim.test',
      password: 'pw-Bob-1',
      now: new Date(),
      by: 'test',
    });
  });
  afterEach(async () => {
    stop.abort();
    await Promise.allSettled(background);
    readModels.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(options: Partial<DeliveryProcessorOptions> = {}, handOver = true): DeliveryProcessor {
    const delivery = new DeliveryProcessor({
      commands,
      readModels,
      directory: new AccountDirectory(readModels),
      routing: new Routing(['kim.test'], ['other.kim.test']),
      log: pino({ level: 'silent' }),
      ...options,
    });
    const views = new ProjectionRunner(
      store,
      readModels,
      [maildropProjection, accountsProjection, submissionsProjection],
      {
        onProgress: (_applied, _position, batch) => {
          if (handOver) delivery.handOver(acceptedSubmissionIds(batch));
        },
      },
    );
    background.push(views.run(stop.signal), delivery.run(stop.signal));
    return delivery;
  }

  async function accept(recipients: string[]): Promise<string> {
    const submissionId = randomUUID();
    await commands.handle(
      Submission,
      submissionId,
      {
        type: 'AcceptSubmission',
        submissionId,
        sender: 'alice@kim.test',
        authUser: 'alice@kim.test',
        recipients: recipients.map((address) => ({ address })),
        blobRef: DIGEST,
        size: 100,
        digest: DIGEST,
        now: new Date().toISOString(),
      },
      { commandId: `accept:${submissionId}`, actor: 'test' },
      { newStream: true },
    );
    return submissionId;
  }

  async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const completed = (id: string) => async () => {
    const { state } = await commands.read(Submission, id);
    return submissionStatus(state) === 'completed' ? state : undefined;
  };

  it('delivers a handed-over submission into the mailbox and completes it', async () => {
    start({ idleMs: 60_000 }); // no sweep during the test: the hand-over alone must do it
    const id = await accept(['bob@kim.test', 'nobody@kim.test']);
    const state = await until(completed(id));
    const recipients = state.machine.context.recipients;
    expect(Object.values(recipients).map((r) => r.state)).toEqual(
      expect.arrayContaining(['delivered', 'bounced']),
    );
    const mailbox = await commands.read(Mailbox, accountIdFor('bob@kim.test'));
    expect(liveMessages(mailbox.state).map((m) => m.messageKey)).toEqual([id]);
  });

  it('sweeps up what was accepted but never handed over (a restart)', async () => {
    const id = await accept(['bob@kim.test']);
    start({ idleMs: 50 }, false);
    await until(completed(id));
  });

  it('defers a failed attempt, retries it after the backoff, and gives up after the delivery time', async () => {
    const delivery = start({ idleMs: 20, backoffMs: [30], maxDeliveryMs: 400 });
    const id = await accept(['carol@other.kim.test']); // relay is not available yet: every attempt fails
    await until(() => (delivery.oldestPendingAgeMs() > 0 ? true : undefined));
    const state = await until(completed(id));
    const carol = Object.values(state.machine.context.recipients)[0];
    expect(carol?.state).toBe('bounced');
    expect(carol?.attempts).toBeGreaterThanOrEqual(2);
    await until(() => (delivery.pendingCount() === 0 ? true : undefined));
    expect(delivery.oldestPendingAgeMs()).toBe(0);
  });
});
