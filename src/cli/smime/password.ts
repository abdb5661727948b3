/**
 * The password of a card or key file: the first line of standard input with `--password-stdin`
 * (only when the message comes from a FILE: standard input cannot carry both), else the
 * KIM_CARD_PASSWORD environment variable, as the software Konnektor reads it.
 */
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { CliError } from '../cliError.js';
import type { InputSource } from './readInput.js';
import { readPasswordLine } from './readInput.js';

/** Reads the password at most once, and only when asked for it. */
export type PasswordSource = () => Promise<string | undefined>;

export function passwordSource(
  fromStdin: boolean,
  message: InputSource,
  stdin: NodeJS.ReadableStream,
): PasswordSource {
  if (fromStdin && message.kind === 'stdin')
    throw new CliError('--password-stdin needs the message in a FILE: standard input cannot carry both');
  let read: Promise<string | undefined> | undefined;
  return () => {
    read ??= fromStdin
      ? readPasswordLine(stdin).then((line) => {
          if (line === '') throw new CliError('--password-stdin: the first line of standard input is empty');
          return line;
        })
      : Promise.resolve(process.env[CARD_PASSWORD_ENV]);
    return read;
  };
}
