import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maildropProjection } from '../../projections/maildrop.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { Mailbox } from '../../src/core/aggregates.js';
import { Harness, hex64, minute } from './fixtures.js';

interface MailboxRow {
  mailbox_id: string;
  account_id: string;
  status: string;
  revision: bigint;
  live_count: bigint;
  live_bytes: bigint;
}

interface MessageRow {
  mailbox_id: string;
  uid: bigint;
  position: bigint;
  size: bigint;
  blob_ref: string;
  blob_size: bigint;
  trace_header: string;
  digest: string;
  arrived_at: string;
  fetch_count: bigint;
  deleted_at: string | null;
  deleted_reason: string | null;
}

const TRACE =
  'Return-Path: <praxis@arzt.kim.telematik>\r\n' +
  'Received: from mta.kim by fachdienst (Zahnärztekammer Überweisung); Sun, 1 Mar 2026 10:00:00 +0000\r\n';

describe('maildrop projection (what POP3 serves)', () => {
  let h: Harness;
  let runner: ProjectionRunner;

  beforeEach(() => {
    h = new Harness();
    runner = new ProjectionRunner(h.store, h.readModels, maildropProjection);
  });

  afterEach(async () => {
    await h.dispose();
  });

  const mailbox = (id: string): MailboxRow | undefined =>
    h.rows<MailboxRow>(`SELECT * FROM maildrop_mailboxes WHERE mailbox_id = ?`, id)[0];
  const messages = (id: string): MessageRow[] =>
    h.rows<MessageRow>(`SELECT * FROM maildrop_messages WHERE mailbox_id = ? ORDER BY position`, id);

  it('creates an open, empty mailbox row for its account', async () => {
    await h.openMailbox('m1', 'acc-1');
    await runner.catchUp();

    expect(mailbox('m1')).toEqual({
      mailbox_id: 'm1',
      account_id: 'acc-1',
      status: 'open',
      revision: 0n,
      live_count: 0n,
      live_bytes: 0n,
    });
    expect(messages('m1')).toEqual([]);
  });

  it('lists messages in arrival order with uid, blob reference and exact size (trace header octets + blob)', async () => {
    await h.openMailbox('m1');
    await h.openMailbox('m2');
    await h.receive('m1', 'k1', { traceHeader: TRACE, blobSize: 2048, now: minute(1) });
    await h.receive('m2', 'other', { now: minute(2) });
    await h.receive('m1', 'k2', { traceHeader: '', blobSize: 17, now: minute(3) });
    await h.receive('m1', 'k3', { traceHeader: 'Received: by ü\r\n', blobSize: 0, now: minute(4) });
    await runner.catchUp();

    const rows = messages('m1');
    expect(rows.map((r) => r.uid)).toEqual([1n, 2n, 3n]);
    const positions = rows.map((r) => r.position);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(rows[0]).toMatchObject({
      size: BigInt(Buffer.byteLength(TRACE, 'utf8') + 2048),
      blob_ref: hex64('k1'),
      blob_size: 2048n,
      trace_header: TRACE,
      digest: hex64('dk1'),
      arrived_at: minute(1),
      fetch_count: 0n,
      deleted_at: null,
    });
    // Non-ASCII characters count in octets, not characters.
    expect(Buffer.byteLength(TRACE, 'utf8')).toBeGreaterThan(TRACE.length);
    expect(rows[1]).toMatchObject({ size: 17n, blob_ref: hex64('k2') });
    expect(rows[2]).toMatchObject({ size: BigInt(Buffer.byteLength('Received: by ü\r\n')), blob_size: 0n });

    const totalBytes = rows.reduce((sum, r) => sum + r.size, 0n);
    expect(mailbox('m1')).toMatchObject({ live_count: 3n, live_bytes: totalBytes, revision: 3n });
    // The other mailbox keeps its own numbering.
    expect(messages('m2').map((r) => r.uid)).toEqual([1n]);
    expect(mailbox('m2')).toMatchObject({ live_count: 1n, live_bytes: 1000n });
  });

  it('ignores a redelivered message (same key): no second row', async () => {
    await h.openMailbox('m1');
    await h.receive('m1', 'k1');
    const redelivery = await h.commands.handle(
      Mailbox,
      'm1',
      {
        type: 'ReceiveMessage',
        messageKey: 'k1',
        blobRef: hex64('k1'),
        blobSize: 1000,
        traceHeader: '',
        digest: hex64('dk1'),
        now: minute(9),
      },
      { commandId: 'redelivery' },
    );
    expect(redelivery.events).toEqual([]);
    await runner.catchUp();

    expect(messages('m1')).toHaveLength(1);
    expect(mailbox('m1')).toMatchObject({ live_count: 1n, live_bytes: 1000n });
  });

  it('marks deleted messages (DELE) and takes them out of live_count and live_bytes', async () => {
    await h.openMailbox('m1');
    await h.receive('m1', 'k1', { blobSize: 100 });
    await h.receive('m1', 'k2', { blobSize: 200 });
    await h.receive('m1', 'k3', { blobSize: 400 });
    await h.mailbox('m1', {
      type: 'DeleteMessages',
      uids: [1, 3],
      reason: 'pop3',
      sessionId: 's-1',
      now: minute(20),
    });
    await runner.catchUp();

    const rows = messages('m1');
    expect(rows.map((r) => [r.uid, r.deleted_at, r.deleted_reason])).toEqual([
      [1n, minute(20), 'pop3'],
      [2n, null, null],
      [3n, minute(20), 'pop3'],
    ]);
    expect(mailbox('m1')).toMatchObject({ live_count: 1n, live_bytes: 200n, revision: 5n });

    // Deleting again (already gone) changes nothing; expiry of the rest empties the drop.
    await h.mailbox('m1', { type: 'DeleteMessages', uids: [2], reason: 'expired', now: minute(30) });
    await runner.catchUp();
    expect(messages('m1').find((r) => r.uid === 2n)).toMatchObject({
      deleted_at: minute(30),
      deleted_reason: 'expired',
    });
    expect(mailbox('m1')).toMatchObject({ live_count: 0n, live_bytes: 0n });
  });

  it('counts fetches (RETR) per message', async () => {
    await h.openMailbox('m1');
    await h.receive('m1', 'k1');
    await h.receive('m1', 'k2');
    await h.mailbox('m1', { type: 'RecordFetch', uids: [1], sessionId: 's-1', now: minute(5) });
    await h.mailbox('m1', { type: 'RecordFetch', uids: [1], sessionId: 's-2', now: minute(6) });
    await runner.catchUp();

    expect(messages('m1').map((r) => [r.uid, r.fetch_count])).toEqual([
      [1n, 2n],
      [2n, 0n],
    ]);
    expect(mailbox('m1')).toMatchObject({ revision: 4n });
  });

  it('tracks lock, unlock and close in the mailbox status and keeps revision = last stream revision', async () => {
    await h.openMailbox('m1');
    await h.mailbox('m1', { type: 'LockMailbox', reason: 'operator', now: minute(1) });
    await runner.catchUp();
    expect(mailbox('m1')).toMatchObject({ status: 'locked', revision: 1n });

    // A locked mailbox still accepts delivery.
    await h.receive('m1', 'k1');
    await h.mailbox('m1', { type: 'UnlockMailbox', now: minute(2) });
    await runner.catchUp();
    expect(mailbox('m1')).toMatchObject({ status: 'open', revision: 3n, live_count: 1n });

    await h.mailbox('m1', { type: 'CloseMailbox', reason: 'account purged', now: minute(3) });
    await runner.catchUp();
    expect(mailbox('m1')).toMatchObject({ status: 'closed', revision: 4n });
    expect(messages('m1')).toHaveLength(1);
  });

  it('keeps deletions and fetches recorded after close (expiry and purge)', async () => {
    await h.openMailbox('m1');
    await h.receive('m1', 'k1', { blobSize: 10 });
    await h.mailbox('m1', { type: 'CloseMailbox', reason: 'account purged', now: minute(3) });
    await h.mailbox('m1', { type: 'DeleteMessages', uids: [1], reason: 'purge', now: minute(4) });
    await runner.catchUp();

    expect(messages('m1')[0]).toMatchObject({ deleted_reason: 'purge', deleted_at: minute(4) });
    expect(mailbox('m1')).toMatchObject({ status: 'closed', live_count: 0n, live_bytes: 0n, revision: 3n });
  });
});
