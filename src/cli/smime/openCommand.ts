/**
 * `kim smime open`: the full receive path of the Clientmodul (kim-domain §7.3–§7.5) with a card
 * in software. The message is decoded as it is read; the mail is written once it is verified.
 */
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { openKimMessageFrom } from '../../clientmodul/message/openKimMessage.js';
import type { OpenedKimMessage } from '../../clientmodul/message/openKimMessage.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliIo } from '../command.js';
import { readCertificates } from './keyFiles.js';
import { kimAddress, loadCard } from './loadCard.js';
import { passwordSource } from './password.js';
import { inputSource, withMessageSource } from './readInput.js';
import { writeChunks } from './writeOutput.js';

export const openUsage =
  'kim smime open --card DIR --address ADDR [--ca CA.pem ...] [--password-stdin] [FILE|-]';

const help = `usage: ${openUsage}

Opens a received KIM message as the Clientmodul does for a POP3 client and writes the mail for
the client system to standard output: the inner mail with X-KIM-DecryptionResult and
X-KIM-IntegrityCheckResult headers, or an error mail (X-KIM-Fehlermeldung) with the original
attached. A mail without X-KOM-LE-Version is passed through unchanged. A one-line summary goes
to standard error.

  FILE              the message as delivered (RFC 5322); '-' or none: standard input
  --card DIR        the receiver's card: enc .crt+.key (and osig, aut) or PKCS#12
  --address ADDR    the receiving KIM address: chooses the own key via recipient-emails
  --ca CA.pem       CA certificates that issue card certificates (repeatable). With them the
                    signer must be issued by one (else IntegrityCheckResult 05) and success is 01;
                    without them the certificate is not checked and success is 07
  --password-stdin  the card password: the first line of standard input (the message must then
                    be a FILE); without it: the ${CARD_PASSWORD_ENV} environment variable

Exit status: 0 delivered normally (or passed through), 1 the output is an error mail (it is
still written) or the card cannot be used, 2 bad usage.
`;

const options = {
  card: { type: 'string' },
  address: { type: 'string' },
  ca: { type: 'string', multiple: true },
  'password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new CliError(`${flag} is required (see 'kim smime open --help')\nusage: ${openUsage}`);
  return value;
}

/** One line for standard error: the result codes and why; never content. */
function summary(opened: OpenedKimMessage): string {
  const codes = [
    ...(opened.decryptionResult === null ? [] : [`X-KIM-DecryptionResult ${opened.decryptionResult}`]),
    ...(opened.integrityCheckResult === null
      ? []
      : [`X-KIM-IntegrityCheckResult ${opened.integrityCheckResult}`]),
  ];
  if (opened.errorCodes.length > 0)
    return (
      `open: error mail, X-KIM-Fehlermeldung ${opened.errorCodes.join(', ')}` +
      `${codes.length > 0 ? `, ${codes.join(', ')}` : ''} (${opened.reason})`
    );
  if (opened.decryptionResult === null) return `open: passed through unchanged (${opened.reason})`;
  return `open: delivered, ${codes.join(', ')} (${opened.reason})`;
}

export async function open(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, options, openUsage, true);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const cardDir = required(values.card, '--card DIR');
  const address = kimAddress(required(values.address, '--address ADDR'), '--address');
  const caPaths = values.ca ?? [];
  if (caPaths.some((p) => p === ''))
    throw new CliError(`--ca: the path must not be empty\nusage: ${openUsage}`);
  const source = inputSource(positionals, openUsage);
  const fromStdin = values['password-stdin'] === true;
  const password = passwordSource(fromStdin, source, io.stdin);

  const trustAnchors: Buffer[] = [];
  for (const path of caPaths) trustAnchors.push(...(await readCertificates(path)).map((c) => c.raw));
  const konnektor = await loadCard(cardDir, fromStdin, password);

  const opened = await withMessageSource(source, io.stdin, (message) =>
    openKimMessageFrom({
      message,
      ownAddress: address,
      konnektor,
      ...(trustAnchors.length > 0 ? { trustAnchors } : {}),
      now: new Date(),
    }),
  );
  await writeChunks(io.stdout, opened.mail);
  io.stderr.write(`${summary(opened)}\n`);
  return opened.errorCodes.length === 0 ? 0 : 1;
}
