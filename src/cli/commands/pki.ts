import { createDevPki } from '../../../adapters/tls/devPki.js';
import { DevPkiError } from '../../../adapters/tls/errors.js';
import { isHostname, isIpAddress, isKimDomain } from '../../../adapters/tls/names.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliCommand, CliIo } from '../command.js';

const usage =
  'kim pki init --out DIR --domain D[,D...] [--hostname H ...] [--ip IP ...] [--provider D ...] [--force]';

const initHelp = `usage: ${usage}

Creates a development PKI (never for production):
  ca.crt, ca.key                       self-signed root CA (RSA-3072, 10 years)
  server.crt, server.key               Fachdienst TLS certificate (RSA-2048, 2 years)
  providers/<domain>.crt, .key         relay certificate per provider domain

  --out DIR          directory to write to (created if missing)
  --domain D         KIM domain(s) served; each D and mail.D go into the server certificate
  --hostname H       DNS names of the server certificate besides the domains (default localhost)
  --ip IP            IP addresses of the server certificate (default 127.0.0.1 and ::1)
  --provider D       provider domains to issue relay certificates for (default: the domains)
  --force            replace an existing PKI in DIR
`;

const options = {
  out: { type: 'string' },
  domain: { type: 'string', multiple: true },
  hostname: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  provider: { type: 'string', multiple: true },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--domain a,b --domain c` → `[a, b, c]`; undefined when the flag was not given. */
function list(
  values: readonly string[] | undefined,
  flag: string,
  valid: (v: string) => boolean,
  what: string,
): string[] | undefined {
  if (values === undefined) return undefined;
  const items = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase());
  for (const item of items) {
    if (!valid(item)) throw new CliError(`${flag}: '${item}' is not a valid ${what}`);
  }
  return items;
}

const domainRule = 'KIM domain (a-z 0-9 . - only, at least one dot)';

async function init(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, options, usage);
  if (values.help === true) {
    io.stdout.write(initHelp);
    return 0;
  }
  if (values.out === undefined || values.out === '')
    throw new CliError("--out DIR is required (see 'kim pki init --help')");
  const domains = list(values.domain, '--domain', isKimDomain, domainRule);
  if (domains === undefined || domains.length === 0)
    throw new CliError("--domain is required (see 'kim pki init --help')");
  const hostnames = list(values.hostname, '--hostname', isHostname, 'host name');
  const ipAddresses = list(values.ip, '--ip', isIpAddress, 'IP address');
  const providers = list(values.provider, '--provider', isKimDomain, domainRule);

  let result;
  try {
    result = await createDevPki(values.out, {
      domains,
      ...(hostnames !== undefined ? { hostnames } : {}),
      ...(ipAddresses !== undefined ? { ipAddresses } : {}),
      ...(providers !== undefined ? { providers } : {}),
      force: values.force === true,
    });
  } catch (error) {
    if (error instanceof DevPkiError) {
      if (error.code === 'PKI_EXISTS')
        throw new CliError(`${values.out} already holds a PKI; use --force to replace it`, 1);
      throw new CliError(error.message);
    }
    throw error;
  }

  const lines = [
    `development PKI written to ${result.dir} (not for production)`,
    `  CA certificate      ${result.ca.cert}`,
    `  CA key              ${result.ca.key}`,
    `  server certificate  ${result.server.cert}`,
    `  server key          ${result.server.key}`,
    `    names: ${result.serverNames.join(', ')}`,
    ...result.providers.flatMap((p) => [
      `  relay ${p.domain}:`,
      `    certificate       ${p.cert}`,
      `    key               ${p.key}`,
    ]),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export const pkiCommand: CliCommand = {
  name: 'pki',
  summary: 'create a development PKI (CA, TLS server and relay certificates)',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'init') return init(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout.write(
        `usage: ${usage}\n\n  init  create CA, server and provider relay certificates in DIR\n`,
      );
      return sub === undefined ? 2 : 0;
    }
    throw new CliError(`unknown pki command '${sub}'\nusage: ${usage}`);
  },
};
