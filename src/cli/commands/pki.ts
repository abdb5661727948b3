import { addressKey } from '../../../adapters/directory/address.js';
import { DirectoryError } from '../../../adapters/directory/errors.js';
import { publishEncryptionCertificates } from '../../../adapters/directory/publish.js';
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { DevCardError } from '../../../adapters/konnektor/devCardError.js';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
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

const cardUsage =
  'kim pki card --pki DIR --telematik-id ID --name NAME --out DIR [--p12 --password-stdin] [--force] ' +
  '[--publish FOLDER --address ADDR ...]';

const cardHelp = `usage: ${cardUsage}

Issues a development SMC-B (institution card) from the PKI in --pki (never for production):
  osig.crt, osig.key   C.HCI.OSIG (nonRepudiation), signs KIM messages
  enc.crt, enc.key     C.HCI.ENC (keyEncipherment, dataEncipherment), decrypts them
  aut.crt, aut.key     C.HCI.AUT (digitalSignature), signs Account Manager JWTs
  smcb-ca.crt, ca.crt  the chain: root -> SMC-B CA -> card
All RSA-2048 with the Telematik-ID in the admission extension and NAME as commonName.
The SMC-B CA (smcb-ca.crt/.key) is created in the PKI directory on first use.

  --pki DIR            the development PKI ('kim pki init --out DIR')
  --telematik-id ID    the institution's Telematik-ID, e.g. 1-2.58.00000040
  --name NAME          the institution's name (at most 64 characters)
  --out DIR            the card directory to write (created if missing)
  --p12                write one card.p12 (PBES2/AES-256-CBC) instead of PEM files
  --password-stdin     read the card.p12 password from the first line of stdin
                       (without it: the ${CARD_PASSWORD_ENV} environment variable)
  --force              replace a card already in DIR
  --publish FOLDER     publish the ENC certificate in this certificate directory folder
  --address ADDR       the KIM address(es) to publish it for (with --publish)
`;

const cardOptions = {
  pki: { type: 'string' },
  'telematik-id': { type: 'string' },
  name: { type: 'string' },
  out: { type: 'string' },
  p12: { type: 'boolean' },
  'password-stdin': { type: 'boolean' },
  force: { type: 'boolean' },
  publish: { type: 'string' },
  address: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A password is one line; anything longer than this is not one. */
const MAX_PASSWORD_INPUT = 64 * 1024;

/** The first line of stdin, without its line end. */
async function readPasswordLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(bytes);
    size += bytes.length;
    if (size > MAX_PASSWORD_INPUT)
      throw new CliError('--password-stdin: the input is too long for a password');
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new CliError(`${flag} is required (see 'kim pki card --help')`);
  return value;
}

async function cardPassword(
  values: { p12?: boolean; 'password-stdin'?: boolean },
  io: CliIo,
): Promise<string | undefined> {
  if (values.p12 !== true) {
    if (values['password-stdin'] === true) throw new CliError('--password-stdin is only used with --p12');
    return undefined;
  }
  const password =
    values['password-stdin'] === true ? await readPasswordLine(io.stdin) : process.env[CARD_PASSWORD_ENV];
  if (password === undefined)
    throw new CliError(`--p12 needs a password: use --password-stdin or set ${CARD_PASSWORD_ENV}`);
  if (password === '') throw new CliError('--p12: the password must not be empty');
  return password;
}

async function card(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, cardOptions, cardUsage);
  if (values.help === true) {
    io.stdout.write(cardHelp);
    return 0;
  }
  const pkiDir = required(values.pki, '--pki DIR');
  const telematikId = required(values['telematik-id'], '--telematik-id ID');
  const name = required(values.name, '--name NAME');
  const outDir = required(values.out, '--out DIR');
  const addresses = values.address ?? [];
  if (values.publish !== undefined && addresses.length === 0)
    throw new CliError('--publish FOLDER needs at least one --address ADDR');
  if (values.publish === undefined && addresses.length > 0)
    throw new CliError('--address is only used with --publish');
  if (values.publish === '') throw new CliError('--publish: the folder must not be empty');
  for (const address of addresses) {
    if (addressKey(address) === undefined)
      throw new CliError(`--address: ${JSON.stringify(address)} is not a valid KIM address`);
  }
  const p12Password = await cardPassword(values, io);

  let result;
  try {
    result = await issueDevCard({
      pkiDir,
      telematikId,
      name,
      outDir,
      force: values.force === true,
      ...(p12Password !== undefined ? { p12Password } : {}),
    });
  } catch (error) {
    if (error instanceof DevCardError) {
      if (error.code === 'CARD_EXISTS')
        throw new CliError(`${outDir} already holds a card; use --force to replace it`, 1);
      throw new CliError(error.message, error.code === 'CARD_INVALID_INPUT' ? 2 : 1);
    }
    throw error;
  }

  const lines = [
    `development SMC-B written to ${result.dir} (not for production)`,
    `  Telematik-ID  ${result.telematikId}`,
    `  name          ${result.name}`,
    ...result.files.map((file) => `  ${file}`),
    `  SMC-B CA      ${result.smcbCa.cert}${result.smcbCa.created ? ' (created)' : ''}`,
  ];
  if (values.publish !== undefined) {
    for (const address of addresses) {
      try {
        const file = await publishEncryptionCertificates(
          values.publish,
          address,
          result.encryptionCertificates,
        );
        lines.push(`  ENC certificate for ${address} published: ${file}`);
      } catch (error) {
        if (error instanceof DirectoryError) throw new CliError(`--publish: ${error.message}`, 1);
        throw error;
      }
    }
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

const commandUsage = 'kim pki <init|card> [options]';

export const pkiCommand: CliCommand = {
  name: 'pki',
  usage: commandUsage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'init') return init(rest, io);
    if (sub === 'card') return card(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout.write(
        `usage: ${usage}\n       ${cardUsage}\n\n` +
          '  init  create CA, server and provider relay certificates in DIR\n' +
          '  card  issue a development SMC-B (OSIG, ENC, AUT keys) from the PKI in DIR\n',
      );
      return sub === undefined ? 2 : 0;
    }
    throw new CliError(`unknown pki command '${sub}'\nusage: ${commandUsage}`);
  },
};
