/**
 * Child process for the event store crash test: appends real domain events (mailbox deliveries)
 * through the command handler from several concurrent writers until the parent kills it.
 * Writers share one mailbox (so appends conflict and retry) and each also has its own.
 *
 * Protocol on stdout (written synchronously, so a line is out before the next append starts):
 *   READY                                  writers start now
 *   ACK <streamId> <revision> <eventId>    the append resolved: it must survive the kill
 *
 * Run: node --import tsx test/support/eventStoreCrashChild.ts <events.sqlite> <round>
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../adapters/eventstore/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import { Mailbox } from '../../src/core/aggregates.js';
import { CommandHandler, eventId } from '../../src/core/commandHandler.js';

const [path, round] = process.argv.slice(2);
if (path === undefined || round === undefined) throw new Error('usage: eventStoreCrashChild <path> <round>');
const WRITERS = 4;

const store = new SqliteEventStore({ path });
const commands = new CommandHandler(store, { maxAttempts: 1000 });

async function open(mailboxId: string): Promise<void> {
  try {
    await commands.handle(
      Mailbox,
      mailboxId,
      { type: 'OpenMailbox', mailboxId, accountId: `acc-${mailboxId}`, now: new Date().toISOString() },
      { commandId: `open-${mailboxId}` },
    );
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'MAILBOX_EXISTS')) throw error;
  }
}

async function writer(index: number): Promise<never> {
  const own = `crash-${round}-w${index}`;
  await open(own);
  for (let seq = 0; ; seq++) {
    const mailboxId = seq % 2 === 0 ? 'crash-shared' : own;
    const commandId = randomUUID();
    const digest = randomBytes(32).toString('hex');
    const result = await commands.handle(
      Mailbox,
      mailboxId,
      {
        type: 'ReceiveMessage',
        messageKey: commandId,
        blobRef: digest,
        blobSize: 1000 + seq,
        traceHeader: `Received: by crash-test; round ${round}\r\n`,
        digest,
        now: new Date().toISOString(),
      },
      { commandId },
    );
    if (result.revision !== null && result.events.length > 0) {
      writeSync(1, `ACK ${Mailbox.streamId(mailboxId)} ${result.revision} ${eventId(commandId, 0)}\n`);
    }
  }
}

await open('crash-shared');
writeSync(1, 'READY\n');
await Promise.all(Array.from({ length: WRITERS }, (_, i) => writer(i)));
