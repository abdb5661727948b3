import { ConfigError } from '../config/configError.js';
import { CliError } from './cliError.js';
import type { CliCommand, CliIo } from './command.js';
import { adminCommand } from './commands/admin.js';
import { clientmodulCommand } from './commands/clientmodul.js';
import { pkiCommand } from './commands/pki.js';
import { storeCommand } from './commands/store.js';
import { fachdienstCommand } from './commands/fachdienst.js';
import { smimeCommand } from './commands/smime.js';

const commands: readonly CliCommand[] = [
  fachdienstCommand,
  clientmodulCommand,
  adminCommand,
  pkiCommand,
  storeCommand,
  smimeCommand,
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
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      io.stderr.write(`kim ${name}: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : 2;
    }
    throw error;
  }
}
