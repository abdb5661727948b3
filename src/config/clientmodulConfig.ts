import { ConfigError } from './configError.js';
import { integer, port } from './values.js';

/** The settings of one Clientmodul; every field is validated once, at start. */
export interface ClientmodulConfig {
  /** The institution card (SMC-B): osig/enc/aut key pairs or PKCS#12 (adapters/konnektor). */
  readonly cardDir: string;
  /** ca.crt (trust anchor for the Fachdienst and for signers), server.crt/.key (our listeners), smcb-ca.crt if present. */
  readonly pkiDir: string;
  /** The default Fachdienst; a `host:port` in a client username wins over it. */
  readonly fachdienst: { readonly host: string; readonly smtpPort: number; readonly pop3Port: number };
  /** Where recipients' encryption certificates come from: a folder path or `file:` URL. */
  readonly directory: string;
  /** Listen address towards the mail program. */
  readonly host: string;
  readonly smtpPort: number;
  readonly pop3Port: number;
  /** The account's maximum mail size (getLimits), when the operator knows it. */
  readonly accountMaxMailSize: number | null;
}

export interface RawClientmodulOptions {
  readonly card?: string | undefined;
  readonly pki?: string | undefined;
  readonly fachdienst?: string | undefined;
  readonly fachdienstSmtpPort?: string | undefined;
  readonly fachdienstPop3Port?: string | undefined;
  readonly directory?: string | undefined;
  readonly host?: string | undefined;
  readonly smtpPort?: string | undefined;
  readonly pop3Port?: string | undefined;
  readonly maxMailSize?: string | undefined;
}

/** Flags win over environment variables (KIM_CM_*), which win over defaults. */
export function resolveClientmodulConfig(
  flags: RawClientmodulOptions,
  env: NodeJS.ProcessEnv,
): ClientmodulConfig {
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? env[name];
  const required = (flag: string | undefined, name: string, option: string, what: string): string => {
    const value = pick(flag, name);
    if (value === undefined || value === '') throw new ConfigError(`${option} is required: ${what}`);
    return value;
  };
  const maxMailSize = pick(flags.maxMailSize, 'KIM_CM_MAX_MAIL_SIZE');
  return {
    cardDir: required(
      flags.card,
      'KIM_CM_CARD',
      '--card DIR',
      'the institution card (kim pki card --out DIR)',
    ),
    pkiDir: required(
      flags.pki,
      'KIM_CM_PKI',
      '--pki DIR',
      'ca.crt, server.crt and server.key (kim pki init)',
    ),
    fachdienst: {
      host: pick(flags.fachdienst, 'KIM_CM_FACHDIENST') ?? '127.0.0.1',
      smtpPort: port(
        pick(flags.fachdienstSmtpPort, 'KIM_CM_FACHDIENST_SMTP_PORT'),
        10465,
        '--fachdienst-smtp-port',
      ),
      pop3Port: port(
        pick(flags.fachdienstPop3Port, 'KIM_CM_FACHDIENST_POP3_PORT'),
        10995,
        '--fachdienst-pop3-port',
      ),
    },
    directory: required(
      flags.directory,
      'KIM_CM_DIRECTORY',
      '--directory URL',
      "recipients' encryption certificates (a folder or file: URL; kim pki card --publish)",
    ),
    host: pick(flags.host, 'KIM_CM_HOST') ?? '127.0.0.1',
    smtpPort: port(pick(flags.smtpPort, 'KIM_CM_SMTP_PORT'), 20465, '--smtp-port'),
    pop3Port: port(pick(flags.pop3Port, 'KIM_CM_POP3_PORT'), 20995, '--pop3-port'),
    accountMaxMailSize: maxMailSize === undefined ? null : integer(maxMailSize, 0, '--max-mail-size'),
  };
}
