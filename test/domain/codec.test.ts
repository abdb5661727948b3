import { describe, it, expect } from 'vitest';
import { accountEventTypes, decodeAccountEvent } from '../../domain/account/index.js';
import { aggregateOfStream, decodeDomainEvent, parseStreamId, streamIdFor } from '../../domain/codec.js';
import { decodeMailboxEvent, mailboxEventTypes } from '../../domain/mailbox/index.js';
import { EventDecodeError } from '../../domain/shared/errors.js';
import { decodeSubmissionEvent, submissionEventTypes } from '../../domain/submission/index.js';
import { registered } from './account/fixtures.js';
import { received } from './mailbox/fixtures.js';
import { accepted } from './submission/fixtures.js';

const decodeError = (fn: () => unknown): EventDecodeError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EventDecodeError);
    return e as EventDecodeError;
  }
  throw new Error('expected EventDecodeError');
};

describe('event codecs', () => {
  it('decode returns a stored account event unchanged', () => {
    const event = registered();
    expect(decodeAccountEvent(event.type, 1, JSON.parse(JSON.stringify(event.data)))).toStrictEqual(event);
  });

  it('decode returns a stored mailbox event unchanged', () => {
    const event = received(1);
    expect(decodeMailboxEvent('received', 1, JSON.parse(JSON.stringify(event.data)))).toStrictEqual(event);
  });

  it('decode returns a stored submission event unchanged', () => {
    expect(decodeSubmissionEvent('accepted', 1, JSON.parse(JSON.stringify(accepted.data)))).toStrictEqual(
      accepted,
    );
  });

  it('decode rejects an unknown event type', () => {
    expect(
      decodeError(() => decodeAccountEvent('teleported', 1, { at: '2026-01-01T00:00:00Z' })).reason,
    ).toBe('unknown event type');
  });

  it('decode rejects inherited property names as event types', () => {
    expect(decodeError(() => decodeMailboxEvent('toString', 1, {})).reason).toBe('unknown event type');
  });

  it('decode rejects an unknown schema version', () => {
    const err = decodeError(() => decodeMailboxEvent('received', 2, received(1).data));
    expect(err.reason).toBe('unknown schema version');
    expect(err.schemaVersion).toBe(2);
    expect(decodeError(() => decodeMailboxEvent('received', 0, received(1).data)).reason).toBe(
      'unknown schema version',
    );
    expect(decodeError(() => decodeMailboxEvent('received', 1.5, received(1).data)).reason).toBe(
      'unknown schema version',
    );
  });

  it('decode rejects data with a missing field and names the field', () => {
    const { digest: _digest, ...withoutDigest } = received(1).data as Record<string, unknown>;
    const err = decodeError(() => decodeMailboxEvent('received', 1, withoutDigest));
    expect(err.reason).toMatch(/^invalid data: digest/);
  });

  it('decode rejects an instant that is not ISO-8601', () => {
    expect(() => decodeAccountEvent('purged', 1, { at: 'March 1st' })).toThrow(EventDecodeError);
  });

  it('decode rejects values outside the allowed ranges', () => {
    expect(() =>
      decodeAccountEvent('baseDataChanged', 1, { dataTimeToLive: 5, at: '2026-01-01T00:00:00Z' }),
    ).toThrow(EventDecodeError);
    expect(() => decodeAccountEvent('locked', 1, { reason: 'boredom', at: '2026-01-01T00:00:00Z' })).toThrow(
      EventDecodeError,
    );
    expect(() => decodeSubmissionEvent('accepted', 1, { ...accepted.data, recipients: [] })).toThrow(
      EventDecodeError,
    );
  });

  it('decode rejects data that is not an object', () => {
    expect(() => decodeSubmissionEvent('completed', 1, null)).toThrow(EventDecodeError);
  });

  it('decode drops unknown fields', () => {
    const decoded = decodeAccountEvent('purged', 1, { at: '2026-01-01T00:00:00Z', extra: 1 });
    expect(decoded.data).toStrictEqual({ at: '2026-01-01T00:00:00Z' });
  });

  it('every aggregate lists its event types', () => {
    expect(accountEventTypes).toEqual([
      'registrationCodeIssued',
      'registered',
      'passwordChanged',
      'baseDataChanged',
      'locked',
      'unlocked',
      'absent',
      'present',
      'deregistered',
      'deregistrationRevoked',
      'purged',
    ]);
    expect(mailboxEventTypes).toEqual([
      'opened',
      'received',
      'fetched',
      'deleted',
      'locked',
      'unlocked',
      'closed',
    ]);
    expect(submissionEventTypes).toEqual([
      'accepted',
      'deliveredLocally',
      'relayed',
      'deferred',
      'bounced',
      'completed',
    ]);
  });

  it('decodeDomainEvent dispatches on the aggregate', () => {
    expect(decodeDomainEvent('mailbox', 'locked', 1, { reason: 'x', at: '2026-01-01T00:00:00Z' }).type).toBe(
      'locked',
    );
    // 'reason' is free text for a mailbox lock but an enum for an account lock.
    expect(() =>
      decodeDomainEvent('account', 'locked', 1, { reason: 'x', at: '2026-01-01T00:00:00Z' }),
    ).toThrow(EventDecodeError);
    expect(() =>
      decodeDomainEvent('submission', 'locked', 1, { reason: 'x', at: '2026-01-01T00:00:00Z' }),
    ).toThrow(EventDecodeError);
  });
});

describe('stream ids', () => {
  it('streamIdFor prefixes the aggregate name', () => {
    expect(streamIdFor('account', 'acc-1')).toBe('account-acc-1');
    expect(streamIdFor('mailbox', 'm')).toBe('mailbox-m');
    expect(streamIdFor('submission', 's')).toBe('submission-s');
  });

  it('streamIdFor rejects an empty id', () => {
    expect(() => streamIdFor('account', '')).toThrow();
  });

  it('aggregateOfStream maps stream prefixes to aggregates', () => {
    expect(aggregateOfStream('account-acc-1')).toBe('account');
    expect(aggregateOfStream('mailbox-x')).toBe('mailbox');
    expect(aggregateOfStream('submission-1-2')).toBe('submission');
  });

  it('aggregateOfStream returns null for foreign or empty streams', () => {
    expect(aggregateOfStream('$all')).toBeNull();
    expect(aggregateOfStream('accounts-1')).toBeNull();
    expect(aggregateOfStream('account-')).toBeNull();
    expect(aggregateOfStream('Account-1')).toBeNull();
  });

  it('parseStreamId round-trips streamIdFor', () => {
    expect(parseStreamId(streamIdFor('submission', 'a-b-c'))).toEqual({
      aggregate: 'submission',
      id: 'a-b-c',
    });
  });
});
