import { describe, it, expect } from 'vitest';
import { liveMessages, mailboxEvent } from '../../../domain/mailbox/index.js';
import {
  DIGEST,
  TRACE,
  deleted,
  mailboxSpec,
  mbxClosed,
  minute,
  opened,
  receiveCommand,
  received,
} from './fixtures.js';

describe('mailbox delivery', () => {
  it('the first message received gets uid 1', () => {
    mailboxSpec()
      .given([opened])
      .when(receiveCommand('key-1'))
      .then([received(1)])
      .thenState((s) => {
        expect(s.machine.context.nextUid).toBe(2);
        expect(liveMessages(s)).toEqual([{ uid: 1, size: 1000, blobRef: 'blob-key-1', messageKey: 'key-1' }]);
      });
  });

  it('uids increase with every message received', () => {
    mailboxSpec()
      .given([opened, received(1), received(2)])
      .when(receiveCommand('key-3', { now: minute(3) }))
      .then([received(3)]);
  });

  it('uids are never reused after deletion', () => {
    mailboxSpec()
      .given([opened, received(1), received(2), deleted(2), deleted(1)])
      .when(receiveCommand('key-3', { now: minute(3) }))
      .then([received(3)])
      .thenState((s) => expect(liveMessages(s).map((m) => m.uid)).toEqual([3]));
  });

  it('a second received for the same message key is a no-op', () => {
    mailboxSpec()
      .given([opened, received(1, 'sub-42')])
      .when(receiveCommand('sub-42'))
      .thenNothingHappened();
  });

  it('a redelivery after deletion does not resurrect the message', () => {
    mailboxSpec()
      .given([opened, received(1, 'sub-42'), deleted(1)])
      .when(receiveCommand('sub-42'))
      .thenNothingHappened()
      .thenState((s) => expect(s.live.size).toBe(0));
  });

  it('a redelivery to a closed mailbox is still a no-op, not an error', () => {
    mailboxSpec()
      .given([opened, received(1, 'sub-42'), mbxClosed])
      .when(receiveCommand('sub-42'))
      .thenNothingHappened();
  });

  it('the served size is the UTF-8 length of the trace header plus the blob size', () => {
    const trace = 'Received: from praxis-müller.example\r\n'; // ü is 2 octets
    mailboxSpec()
      .given([opened])
      .when(receiveCommand('k', { traceHeader: trace, blobSize: 500 }))
      .then([
        mailboxEvent('received', {
          uid: 1,
          messageKey: 'k',
          blobRef: 'blob-k',
          blobSize: 500,
          traceHeader: trace,
          size: trace.length + 1 + 500,
          digest: DIGEST,
          arrivedAt: minute(1),
        }),
      ])
      .thenState((s) => expect(s.machine.context.liveBytes).toBe(trace.length + 1 + 500));
  });

  it('live bytes count trace header and blob of every live message', () => {
    mailboxSpec()
      .given([opened, received(1, 'a', 100)])
      .when(receiveCommand('b', { traceHeader: TRACE, blobSize: 200 }))
      .thenState((s) => {
        expect(s.machine.context.liveCount).toBe(2);
        expect(s.machine.context.liveBytes).toBe(100 + TRACE.length + 200);
      });
  });

  it('a digest that is not a lowercase hex SHA-256 is rejected', () => {
    mailboxSpec()
      .given([opened])
      .when(receiveCommand('k', { digest: 'ABC' }))
      .thenThrows('INVALID_COMMAND');
  });

  it('a negative or fractional blob size is rejected', () => {
    mailboxSpec()
      .given([opened])
      .when(receiveCommand('k', { blobSize: -1 }))
      .thenThrows('INVALID_COMMAND');
    mailboxSpec()
      .given([opened])
      .when(receiveCommand('k', { blobSize: 1.5 }))
      .thenThrows('INVALID_COMMAND');
  });

  it('an empty message key is rejected', () => {
    mailboxSpec().given([opened]).when(receiveCommand('')).thenThrows('INVALID_COMMAND');
  });

  it('delivery to a mailbox that does not exist is rejected with MAILBOX_NOT_FOUND', () => {
    mailboxSpec().when(receiveCommand('k')).thenThrows('MAILBOX_NOT_FOUND');
  });
});
