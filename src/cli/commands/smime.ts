import { CliError } from '../cliError.js';
import type { CliCommand, CliIo } from '../command.js';

const commandUsage = 'kim smime <seal|open|decrypt|verify> [options] [FILE|-]';

interface Subcommand {
  readonly summary: string;
  load(): Promise<{
    readonly run: (args: readonly string[], io: CliIo) => Promise<number>;
    readonly usage: string;
  }>;
}

/**
 * Each subcommand is loaded only when it runs: `verify` alone needs @peculiar/x509, and every
 * module left out shortens a `kim smime seal` or `open` of a 25 MB mail (startup counts there).
 */
const subcommands: Readonly<Record<string, Subcommand>> = {
  seal: {
    summary: 'sign and encrypt a mail into a KIM message (card in software)',
    load: async () => {
      const { seal, sealUsage } = await import('../smime/sealCommand.js');
      return { run: seal, usage: sealUsage };
    },
  },
  open: {
    summary: 'the full receive path: the mail for the client system',
    load: async () => {
      const { open, openUsage } = await import('../smime/openCommand.js');
      return { run: open, usage: openUsage };
    },
  },
  decrypt: {
    summary: 'decrypt an AuthEnvelopedData with a key file',
    load: async () => {
      const { decrypt, decryptUsage } = await import('../smime/decryptCommand.js');
      return { run: decrypt, usage: decryptUsage };
    },
  },
  verify: {
    summary: 'verify a SignedData, write the signed content',
    load: async () => {
      const { verify, verifyUsage } = await import('../smime/verifyCommand.js');
      return { run: verify, usage: verifyUsage };
    },
  },
};

export const smimeCommand: CliCommand = {
  name: 'smime',
  usage: commandUsage,
  async run(args, io) {
    const [sub, ...rest] = args;
    const subcommand = sub === undefined || !Object.hasOwn(subcommands, sub) ? undefined : subcommands[sub];
    if (subcommand !== undefined) return (await subcommand.load()).run(rest, io);
    if (sub === undefined || sub === '--help' || sub === '-h') {
      const entries = Object.entries(subcommands);
      const usages = await Promise.all(entries.map(async ([, c]) => (await c.load()).usage));
      io.stdout.write(
        `usage: ${usages.join('\n       ')}\n\n` +
          entries.map(([name, c]) => `  ${name.padEnd(9)}${c.summary}\n`).join('') +
          "\nEach reads the message from FILE or standard input; run 'kim smime <command> --help'.\n",
      );
      return sub === undefined ? 2 : 0;
    }
    throw new CliError(`unknown smime command '${sub}'\nusage: ${commandUsage}`);
  },
};
