import { ConfigError } from '../config/configError.js';
import { CliError } from './cliError.js';
import type { CliCommand, CliIo } from './command.js';
/**
 * The subcommands, each loaded only when it runs: `kim smime seal` should not pay for starting
 * SQLite, the SMTP server and the rest of the Fachdienst (that alone took 0.5 s and 50 MB).
 */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

const commands: readonly CommandEntry[] = [
  {
    name: 'fachdienst',
    summary: 'run a Fachdienst (SMTPS submission, POP3S retrieval) on the embedded store',
    load: async () => (await import('./commands/fachdienst.js')).fachdienstCommand,
  },
  {
    name: 'clientmodul',
    summary: 'run a Clientmodul (S/MIME signing and encryption between mail program and Fachdienst)',
    load: async () => (await import('./commands/clientmodul.js')).clientmodulCommand,
  },
  {
    name: 'admin',
    summary: 'operator tasks on a data directory (accounts: add, passwd, lock, unlock, list)',
    load: async () => (await import('./commands/admin.js')).adminCommand,
  },
  {
    name: 'pki',
    summary: 'development PKI: CA, TLS server and relay certificates, SMC-B cards',
    load: async () => (await import('./commands/pki.js')).pkiCommand,
  },
  {
    name: 'store',
    summary: 'check and describe the event log (verify, stats)',
    load: async () => (await import('./commands/store.js')).storeCommand,
  },
  {
    name: 'smime',
    summary: 'S/MIME tools for integrators: seal, open, decrypt, verify KIM messages',
    load: async () => (await import('./commands/smime.js')).smimeCommand,
  },
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'kim: the open KIM provider stack',
    '',
    'usage: kim <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'kim <command> --help' for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (command === undefined) throw new CliError(`unknown command '${name}'; run 'kim --help'`);
    return await (await command.load()).run(rest, io);
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      io.stderr.write(`kim ${name}: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : 2;
    }
    throw error;
  }
}
