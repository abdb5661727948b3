import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { resolveFachdienstConfig } from '../../src/config/fachdienstConfig.js';

describe('Fachdienst configuration', () => {
  it('has working defaults for a development start', () => {
    const config = resolveFachdienstConfig({}, {});
    expect(config).toMatchObject({
      domains: ['localhost.kim.test'],
      host: '127.0.0.1',
      smtpPort: 10465,
      pop3Port: 10995,
      httpPort: 18443,
      pkiDir: null,
      production: false,
    });
    expect(config.maxMessageSize).toBeGreaterThanOrEqual(35_882_577);
    expect(config.kimDomains).toEqual(
      expect.arrayContaining(['kim.telematik', 'kim.telematik-test', 'localhost.kim.test']),
    );
  });

  it('takes flags over environment variables over defaults', () => {
    const config = resolveFachdienstConfig(
      { smtpPort: '2465' },
      { KIM_SMTP_PORT: '3465', KIM_POP3_PORT: '3995' },
    );
    expect(config.smtpPort).toBe(2465);
    expect(config.pop3Port).toBe(3995);
  });

  it('refuses production mode without a PKI', () => {
    expect(() => resolveFachdienstConfig({ production: true }, {})).toThrow(/--production needs --pki/);
    expect(() => resolveFachdienstConfig({}, { KIM_PRODUCTION: '1' })).toThrow(ConfigError);
    expect(resolveFachdienstConfig({ production: true, pki: '/etc/kim/pki' }, {}).production).toBe(true);
  });

  it.each([
    [{ smtpPort: '70000' }, /--smtp-port: '70000' is not a port number/],
    [{ pop3Port: 'abc' }, /--pop3-port: 'abc' is not a port number/],
    [{ domain: 'UPPER.kim.test' }, /--domain: 'UPPER.kim.test' is not a valid KIM domain/],
    [{ domain: 'nodot' }, /not a valid KIM domain/],
    [{ domain: ' , ' }, /--domain: at least one domain is needed/],
    [{ maxMessageSize: '1000' }, /below the KIM minimum of 35882577/],
    [{ maxMessageSize: '12MB' }, /--max-message-size: '12MB' is not a whole number/],
  ])('rejects %o with one clear line', (flags, message) => {
    let error: unknown;
    try {
      resolveFachdienstConfig(flags, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
