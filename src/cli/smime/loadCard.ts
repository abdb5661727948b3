/** The card (software Konnektor) of `kim smime seal` / `open`, with its errors as one CLI line. */
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { addressKey } from '../../../adapters/directory/address.js';
import { CliError } from '../cliError.js';
import type { PasswordSource } from './password.js';

/**
 * Loads the card in `dir`. The password (PKCS#12, encrypted PEM keys) comes from
 * `--password-stdin` when given, else the software Konnektor reads KIM_CARD_PASSWORD itself.
 */
export async function loadCard(
  dir: string,
  fromStdin: boolean,
  password: PasswordSource,
): Promise<SoftwareKonnektor> {
  const given = fromStdin ? await password() : undefined;
  try {
    return await SoftwareKonnektor.load(dir, given === undefined ? {} : { password: given });
  } catch (error) {
    if (error instanceof KonnektorError) throw new CliError(`--card: ${error.message}`, 1);
    throw error;
  }
}

/** The address as given (KIM keeps the original spelling), after checking its syntax. */
export function kimAddress(value: string, flag: string): string {
  if (addressKey(value) === undefined)
    throw new CliError(`${flag}: ${JSON.stringify(value)} is not a valid KIM address`);
  return value;
}
