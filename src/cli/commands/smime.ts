import { CliError } from '../cliError.js';
import type { CliCommand } from '../command.js';
import { decrypt, decryptUsage } from '../smime/decryptCommand.js';
import { open, openUsage } from '../smime/openCommand.js';
import { seal, sealUsage } from '../smime/sealCommand.js';
import { verify, verifyUsage } from '../smime/verifyCommand.js';

const commandUsage = 'kim smime <seal|open|decrypt|verify> [options] [FILE|-]';

const subcommands = {
  seal: {
    run: seal,
    usage: sealUsage,
    summary: 'sign and encrypt a mail into a KIM message (card in software)',
  },
  open: { run: open, usage: openUsage, summary: 'the full receive path: the mail for the client system' },
  decrypt: { run: decrypt, usage: decryptUsage, summary: 'decrypt an AuthEnvelopedData with a key file' },
  verify: { run: verify, usage: verifyUsage, summary: 'verify a SignedData, write the signed content' },
} as const;

function isSubcommand(name: string): name is keyof typeof subcommands {
  return Object.hasOwn(subcommands, name);
}

export const smimeCommand: CliCommand = {
  name: 'smime',
  usage: commandUsage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== undefined && isSubcommand(sub)) return subcommands[sub].run(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      const entries = Object.entries(subcommands);
      io.stdout.write(
        `usage: ${entries.map(([, c]) => c.usage).join('\n       ')}\n\n` +
          entries.map(([name, c]) => `  ${name.padEnd(9)}${c.summary}\n`).join('') +
          "\nEach reads the message from FILE or standard input; run 'kim smime <command> --help'.\n",
      );
      return sub === undefined ? 2 : 0;
    }
    throw new CliError(`unknown smime command '${sub}'\nusage: ${commandUsage}`);
  },
};
