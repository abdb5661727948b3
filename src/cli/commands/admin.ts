import { existsSync } from 'node:fs';
import { SqliteEventStore } from '../../../adapters/eventstore/index.js';
import { kimVersions } from '../../../domain/account/index.js';
import type { KimVersion } from '../../../domain/account/index.js';
import { DomainError } from '../../../domain/shared/errors.js';
import { dataPaths, defaultDataDir } from '../../config/dataDir.js';
import { CommandHandler } from '../../core/commandHandler.js';
import { isKimAddress } from '../../mail/kimAddress.js';
import {
  changeAccountPassword,
  listAccounts,
  provisionAccount,
  setAccountLock,
} from '../../fachdienst/accounts/provisioning.js';
import { passwordPolicyProblem } from '../../fachdienst/auth/password.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliCommand, CliIo } from '../command.js';

const usage = [
  'kim admin account add ADDRESS [--kim-version 1.0|1.5|1.5+] [--telematik-id ID]   (password on stdin)',
  'kim admin account passwd ADDRESS                                                (password on stdin)',
  'kim admin account lock|unlock ADDRESS',
  'kim admin account list [--json]',
  'common: --data DIR (env KIM_DATA, default ./data); works beside a running Fachdienst',
].join('\n       ');

const options = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  'kim-version': { type: 'string' },
  'telematik-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The first line of standard input; passwords never come from the command line (ps, history). */
async function readPassword(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CliError('no password on standard input');
  const problem = passwordPolicyProblem(line);
  if (problem !== null) throw new CliError(`password rejected: ${problem}`);
  return line;
}

function domainMessage(error: unknown): never {
  if (error instanceof DomainError) {
    const messages: Partial<Record<string, string>> = {
      ACCOUNT_EXISTS: 'an account with this address exists already',
      ACCOUNT_NOT_FOUND: 'no account with this address',
      ACCOUNT_DEREGISTERED: 'the account is deregistered',
      ACCOUNT_PURGED: 'the account has been purged',
    };
    throw new CliError(messages[error.code] ?? `${error.code}: ${error.message}`, 1);
  }
  throw error;
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [noun, verb, ...rest] = args;
  if (noun === undefined || noun === '--help' || noun === '-h') {
    io.stdout.write(`usage: ${usage}\n`);
    return noun === undefined ? 2 : 0;
  }
  if (noun !== 'account') throw new CliError(`unknown admin object '${noun}'\nusage: ${usage}`);
  const { values, positionals } = parse(rest, options, usage, true);
  if (values.help === true) {
    io.stdout.write(`usage: ${usage}\n`);
    return 0;
  }
  const needsAddress = verb === 'add' || verb === 'passwd' || verb === 'lock' || verb === 'unlock';
  if (!needsAddress && verb !== 'list')
    throw new CliError(`unknown account command '${verb ?? ''}'\nusage: ${usage}`);
  const address = positionals[0];
  if (needsAddress) {
    if (address === undefined) throw new CliError(`${verb} needs an ADDRESS\nusage: ${usage}`);
    if (!isKimAddress(address)) throw new CliError(`'${address}' is not a valid KIM address`);
  }
  const kimVersion = values['kim-version'];
  if (kimVersion !== undefined && !(kimVersions as readonly string[]).includes(kimVersion)) {
    throw new CliError(`--kim-version: '${kimVersion}' is not one of ${kimVersions.join(', ')}`);
  }
  const password = verb === 'add' || verb === 'passwd' ? await readPassword(io) : '';

  const events = dataPaths(values.data ?? defaultDataDir()).events;
  // Only `add` may start a new store (provisioning before the first start); the other commands
  // work on existing accounts, and opening a mistyped --data would silently create an empty one.
  if (verb !== 'add' && !existsSync(events)) throw new CliError(`no event store at ${events}`, 1);
  const store = new SqliteEventStore({ path: events });
  const commands = new CommandHandler(store);
  const by = `operator:${process.env['USER'] ?? 'cli'}`;
  try {
    switch (verb) {
      case 'add': {
        const accountId = await provisionAccount(commands, {
          address: address ?? '',
          password,
          ...(kimVersion === undefined ? {} : { kimVersion: kimVersion as KimVersion }),
          ...(values['telematik-id'] === undefined ? {} : { telematikId: values['telematik-id'] }),
          now: new Date(),
          by,
        }).catch(domainMessage);
        io.stdout.write(`account ${address} added (${accountId})\n`);
        return 0;
      }
      case 'passwd':
        await changeAccountPassword(commands, address ?? '', password, by, new Date()).catch(domainMessage);
        io.stdout.write(`password of ${address} changed\n`);
        return 0;
      case 'lock':
      case 'unlock': {
        const changed = await setAccountLock(commands, address ?? '', verb === 'lock', by, new Date()).catch(
          domainMessage,
        );
        io.stdout.write(`account ${address} ${changed ? `${verb}ed` : `was already ${verb}ed`}\n`);
        return 0;
      }
      default: {
        const accounts = await listAccounts(store, commands);
        if (values.json === true) {
          io.stdout.write(`${JSON.stringify(accounts)}\n`);
        } else {
          for (const a of accounts) {
            io.stdout.write(
              `${a.address}\t${a.status}${a.lockReason === null ? '' : ` (${a.lockReason})`}\n`,
            );
          }
        }
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

export const adminCommand: CliCommand = {
  name: 'admin',
  usage,
  run,
};
