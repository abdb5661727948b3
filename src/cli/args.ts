import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { CliError } from './cliError.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking, turning its exceptions into one-line usage errors. */
export function parse<O extends Options>(
  args: readonly string[],
  options: O,
  usage: string,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(`${message}\nusage: ${usage}`);
  }
}
