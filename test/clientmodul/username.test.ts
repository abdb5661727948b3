import { describe, expect, it } from 'vitest';
import { parseClientUsername, UsernameError } from '../../src/clientmodul/username.js';

const ADDRESS = 'erik.mustermann@hrst_domain.kim.telematik'.replace('_', '-');

function errorOf(run: () => unknown): UsernameError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsernameError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('client usernames (kim-domain §7.1)', () => {
  it('reads the SMTP example of the specification', () => {
    expect(parseClientUsername(`${ADDRESS}#hrst-domain.kim.telematik:465#1#KOM_LE#7#Konn_1`, 'smtp')).toEqual(
      {
        address: ADDRESS,
        upstream: { host: 'hrst-domain.kim.telematik', port: 465 },
        context: { mandantId: '1', clientsystemId: 'KOM_LE', workplaceId: '7', konnektorId: 'Konn_1' },
      },
    );
  });

  it('reads the POP3 example with the UserId left out as *', () => {
    expect(
      parseClientUsername(`${ADDRESS}#hrst-domain.kim.telematik:995#1#KOM_LE#7#*#Konn_1`, 'pop3'),
    ).toEqual({
      address: ADDRESS,
      upstream: { host: 'hrst-domain.kim.telematik', port: 995 },
      context: { mandantId: '1', clientsystemId: 'KOM_LE', workplaceId: '7', konnektorId: 'Konn_1' },
    });
  });

  it('keeps a POP3 UserId (HBA) and has no Konnektor when none is named', () => {
    expect(parseClientUsername(`${ADDRESS}#mail.example:995#M#C#W#user-1`, 'pop3').context).toEqual({
      mandantId: 'M',
      clientsystemId: 'C',
      workplaceId: 'W',
      userId: 'user-1',
    });
  });

  it('accepts a plain address: default Fachdienst, no context', () => {
    expect(parseClientUsername(ADDRESS, 'smtp')).toEqual({ address: ADDRESS });
    expect(parseClientUsername(ADDRESS, 'pop3')).toEqual({ address: ADDRESS });
  });

  it('uses the default Fachdienst when host:port is * or empty (optional since 1.5.4)', () => {
    expect(parseClientUsername(`${ADDRESS}#*#1#KOM_LE#7`, 'smtp').upstream).toBeUndefined();
    expect(parseClientUsername(`${ADDRESS}##1#KOM_LE#7`, 'smtp').upstream).toBeUndefined();
  });

  it('keeps the spelling of the address and accepts an upper-case domain', () => {
    expect(parseClientUsername('Erik.Muster@A.KIM.TEST#*#1#2#3', 'smtp').address).toBe(
      'Erik.Muster@A.KIM.TEST',
    );
  });

  it('reads IP literals as the Fachdienst', () => {
    expect(parseClientUsername(`${ADDRESS}#127.0.0.1:10465#1#2#3`, 'smtp').upstream).toEqual({
      host: '127.0.0.1',
      port: 10465,
    });
    expect(parseClientUsername(`${ADDRESS}#[::1]:995#1#2#3`, 'pop3').upstream).toEqual({
      host: '::1',
      port: 995,
    });
  });

  it.each([
    ['no address', '#host:465#1#2#3', 'ADDRESS_INVALID'],
    ['not a KIM address', 'erik@#host:465#1#2#3', 'ADDRESS_INVALID'],
    ['a space in the address', 'erik muster@a.kim.test', 'ADDRESS_INVALID'],
    ['address and host only', `${ADDRESS}#host:465`, 'USERNAME_MALFORMED'],
    ['a context field missing', `${ADDRESS}#host:465#1#2`, 'USERNAME_MALFORMED'],
    ['too many fields for SMTP', `${ADDRESS}#host:465#1#2#3#4#5`, 'USERNAME_MALFORMED'],
    ['MandantId as *', `${ADDRESS}#host:465#*#2#3`, 'CONTEXT_INVALID'],
    ['an empty WorkplaceId', `${ADDRESS}#host:465#1#2#`, 'CONTEXT_INVALID'],
    ['no port', `${ADDRESS}#host#1#2#3`, 'UPSTREAM_INVALID'],
    ['port 0', `${ADDRESS}#host:0#1#2#3`, 'UPSTREAM_INVALID'],
    ['port too big', `${ADDRESS}#host:65536#1#2#3`, 'UPSTREAM_INVALID'],
    ['a bad host', `${ADDRESS}#ho st:465#1#2#3`, 'UPSTREAM_INVALID'],
    ['a bad IPv6 literal', `${ADDRESS}#[zz::1]:465#1#2#3`, 'UPSTREAM_INVALID'],
  ])('refuses %s with a clear reason', (_what, username, code) => {
    const error = errorOf(() => parseClientUsername(username, 'smtp'));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/^username/);
  });

  it('allows the seventh field (KonnektorId) for POP3 only', () => {
    expect(parseClientUsername(`${ADDRESS}#h:995#1#2#3#*#K`, 'pop3').context?.konnektorId).toBe('K');
    expect(errorOf(() => parseClientUsername(`${ADDRESS}#h:995#1#2#3#*#K`, 'smtp')).code).toBe(
      'USERNAME_MALFORMED',
    );
  });

  it('names the expected shape in the message', () => {
    expect(errorOf(() => parseClientUsername(`${ADDRESS}#h:995`, 'pop3')).message).toContain(
      'address#host:port#MandantId#ClientsystemId#WorkplaceId[#UserId][#KonnektorId]',
    );
  });
});
