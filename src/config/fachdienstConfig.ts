import { ConfigError } from './configError.js';
import { defaultDataDir } from './dataDir.js';
import { integer, port } from './values.js';

/** The settings of one Fachdienst; every field is validated once, at start. */
export interface FachdienstConfig {
  readonly dataDir: string;
  /** Domains whose mailboxes this Fachdienst holds. */
  readonly domains: readonly string[];
  /** Domains of other KIM providers mail may be addressed to (relayed later, never refused). */
  readonly providerDomains: readonly string[];
  /** Suffixes that count as KIM (Reply-To rule): the TI's plus our own and known providers'. */
  readonly kimDomains: readonly string[];
  readonly host: string;
  readonly hostname: string;
  readonly smtpPort: number;
  readonly pop3Port: number;
  readonly httpPort: number;
  /** PKI directory (server.crt/server.key/ca.crt); null: development PKI under the data dir. */
  readonly pkiDir: string | null;
  readonly production: boolean;
  /** Largest message accepted over SMTP, in octets (advertised as SIZE). */
  readonly maxMessageSize: number;
  /** Messages in the DATA pipeline at once (the rest wait briefly, then get 451 4.3.2). */
  readonly dataConcurrency: number;
  readonly dataQueueWaitMs: number;
}

/** KIM clients advertise SIZE ≥ 35,882,577 (a 25 MB client mail after signing, encryption, base64). */
export const DEFAULT_MAX_MESSAGE_SIZE = 36 * 1024 * 1024;
export const MIN_MAX_MESSAGE_SIZE = 35_882_577;
const TI_DOMAINS = ['kim.telematik', 'kim.telematik-test'];

export interface RawFachdienstOptions {
  readonly data?: string | undefined;
  readonly domain?: string | undefined;
  readonly providerDomains?: string | undefined;
  readonly host?: string | undefined;
  readonly hostname?: string | undefined;
  readonly smtpPort?: string | undefined;
  readonly pop3Port?: string | undefined;
  readonly httpPort?: string | undefined;
  readonly pki?: string | undefined;
  readonly production?: boolean | undefined;
  readonly maxMessageSize?: string | undefined;
}

/** Flags win over environment variables, which win over defaults. Throws CliError per bad value. */
export function resolveFachdienstConfig(
  flags: RawFachdienstOptions,
  env: NodeJS.ProcessEnv,
): FachdienstConfig {
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? env[name];
  const domains = domainList(pick(flags.domain, 'KIM_DOMAIN') ?? 'localhost.kim.test', '--domain');
  const providerDomains = domainList(
    pick(flags.providerDomains, 'KIM_PROVIDER_DOMAINS') ?? '',
    '--provider-domains',
    true,
  );
  const production = flags.production ?? env['KIM_PRODUCTION'] === '1';
  const pkiDir = pick(flags.pki, 'KIM_PKI') ?? null;
  if (production && pkiDir === null) {
    throw new ConfigError(
      '--production needs --pki DIR with the server certificate (server.crt, server.key, ca.crt)',
    );
  }
  const maxMessageSize = integer(
    pick(flags.maxMessageSize, 'KIM_MAX_MESSAGE_SIZE'),
    DEFAULT_MAX_MESSAGE_SIZE,
    '--max-message-size',
  );
  if (maxMessageSize < MIN_MAX_MESSAGE_SIZE) {
    throw new ConfigError(
      `--max-message-size: ${maxMessageSize} is below the KIM minimum of ${MIN_MAX_MESSAGE_SIZE} octets`,
    );
  }
  const primary = domains[0] ?? 'localhost';
  return {
    dataDir: flags.data ?? defaultDataDir(env),
    domains,
    providerDomains,
    kimDomains: [...new Set([...TI_DOMAINS, ...domains, ...providerDomains])],
    host: pick(flags.host, 'KIM_HOST') ?? '127.0.0.1',
    hostname: pick(flags.hostname, 'KIM_HOSTNAME') ?? `mail.${primary}`,
    smtpPort: port(pick(flags.smtpPort, 'KIM_SMTP_PORT'), 10465, '--smtp-port'),
    pop3Port: port(pick(flags.pop3Port, 'KIM_POP3_PORT'), 10995, '--pop3-port'),
    httpPort: port(pick(flags.httpPort, 'KIM_HTTP_PORT'), 18443, '--http-port'),
    pkiDir,
    production,
    maxMessageSize,
    dataConcurrency: 10,
    dataQueueWaitMs: 10_000,
  };
}

const DOMAIN = /^(?=.{1,189}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

function domainList(value: string, flag: string, allowEmpty = false): string[] {
  const items = value
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (items.length === 0 && !allowEmpty) throw new ConfigError(`${flag}: at least one domain is needed`);
  for (const d of items) {
    if (!DOMAIN.test(d))
      throw new ConfigError(`${flag}: '${d}' is not a valid KIM domain (a-z, 0-9, '.', '-', with a dot)`);
  }
  return items;
}
