import { describe, expect, it } from 'vitest';
import {
  checkEnvelopeSender,
  checkOriginatorHeaders,
  isInKimDomain,
} from '../../../domain/submission/index.js';

const kimDomains = ['kim.telematik', 'kim.telematik-test', 'a.kim.test'];
const me = 'praxis@a.kim.test';
const other = 'klinik@b.kim.telematik';

function verdict(
  headers: { from?: string[]; sender?: string[]; replyTo?: string[] },
  rcptTo = [other],
  mailFrom = me,
) {
  return checkOriginatorHeaders({
    mailFrom,
    rcptTo,
    kimDomains,
    headers: { from: headers.from ?? [], sender: headers.sender ?? [], replyTo: headers.replyTo ?? [] },
  });
}

describe('A_23421: the envelope sender is the authenticated address', () => {
  it('accepts the authenticated address in any letter case', () => {
    expect(checkEnvelopeSender(me, 'Praxis@A.kim.test')).toEqual({ ok: true });
  });
  it('refuses another address', () => {
    expect(checkEnvelopeSender(me, other)).toMatchObject({ ok: false, rule: 'A_23421' });
  });
});

describe('A_23422: the originator header fields name the envelope sender', () => {
  it('accepts a single From equal to MAIL FROM', () => {
    expect(verdict({ from: [me] })).toEqual({ ok: true });
  });
  it('refuses a message without a From address', () => {
    expect(verdict({})).toMatchObject({
      ok: false,
      rule: 'A_23422',
      reason: expect.stringMatching(/no From/),
    });
  });
  it('refuses a single From that differs from MAIL FROM', () => {
    expect(verdict({ from: [other] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/From address differs/),
    });
  });
  it('refuses a Sender that differs from MAIL FROM', () => {
    expect(verdict({ from: [me], sender: [other] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/Sender/),
    });
  });
  it('accepts several From addresses when Sender is the envelope sender', () => {
    expect(verdict({ from: [other, me], sender: [me] })).toEqual({ ok: true });
  });
  it('refuses several From addresses without a Sender', () => {
    expect(verdict({ from: [me, other] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/several From/),
    });
  });
  it('refuses a Reply-To outside the KIM domains and accepts one inside', () => {
    expect(verdict({ from: [me], replyTo: ['someone@example.com'] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/Reply-To/),
    });
    expect(verdict({ from: [me], replyTo: ['team@x.kim.telematik-test'] })).toEqual({ ok: true });
  });
  it('exempts a message sent only to the sender itself (Clientmodul error notices)', () => {
    expect(verdict({ from: ['postmaster@example.com'] }, [me.toUpperCase()])).toEqual({ ok: true });
    expect(verdict({}, [me])).toEqual({ ok: true });
  });
  it('does not exempt a message to the sender and someone else', () => {
    expect(verdict({ from: [other] }, [me, other])).toMatchObject({ ok: false });
  });
});

describe('KIM domain membership', () => {
  it('matches the domain itself and its subdomains, not look-alikes', () => {
    expect(isInKimDomain('x@a.kim.test', kimDomains)).toBe(true);
    expect(isInKimDomain('x@praxis.kim.telematik', kimDomains)).toBe(true);
    expect(isInKimDomain('x@evilkim.telematik', kimDomains)).toBe(false);
    expect(isInKimDomain('x@kim.telematik.example.com', kimDomains)).toBe(false);
    expect(isInKimDomain('no-at-sign', kimDomains)).toBe(false);
  });
});
