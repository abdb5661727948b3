/**
 * `kim smime seal`: a client mail into a KIM message (kim-domain §6.1, §6.2), with a card in
 * software. The mail is read twice from its file and the message written as it is produced.
 */
import { CmsError } from '../../../adapters/crypto/errors.js';
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import { KimMessageError } from '../../clientmodul/message/errors.js';
import type { KimRecipient } from '../../clientmodul/message/sealKimMessage.js';
import { sealKimMessageTo } from '../../clientmodul/message/sealKimMessage.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliIo } from '../command.js';
import { readCertificate } from './keyFiles.js';
import { kimAddress, loadCard } from './loadCard.js';
import { passwordSource } from './password.js';
import { inputSource, withMessageSource } from './readInput.js';
import { OutputWriter } from './writeOutput.js';

export const sealUsage =
  'kim smime seal --card DIR --from ADDR --to ADDR=CERT.pem[,CERT2.pem] ... ' +
  '[--no-recipient-emails] [--ttl-days N] [--password-stdin] [FILE|-]';

const help = `usage: ${sealUsage}

Seals a client mail into a KIM message and writes the outer mail to standard output: the mail
wrapped as message/rfc822, signed with the card's OSIG key (RSASSA-PSS), wrapped as a binary
signed-data entity, encrypted (AES-256-GCM, RSAES-OAEP SHA-256) for every --to certificate and
the card's own ENC certificates (the sender's copy), base64 in the outer KIM header.

  FILE                    the client mail (RFC 5322); '-' or none: standard input
  --card DIR              the sender's card: osig/enc/aut .crt+.key or PKCS#12 ('kim pki card')
  --from ADDR             the sender's KIM address (from Sender:, else From:); labels its copy
  --to ADDR=CERT[,CERT]   a recipient and its encryption certificate file(s), the first
                          certificate of each file; repeat for every recipient
  --no-recipient-emails   leave the recipient-emails attribute out of the envelope (unauthAttrs),
                          so that OpenSSL 3.0 can decrypt it; KIM receivers need it
  --ttl-days N            dataTimeToLive for the Expires header, 1-365 (default 90)
  --password-stdin        the card password: the first line of standard input (the mail must
                          then be a FILE); without it: the ${CARD_PASSWORD_ENV} environment variable

Exit status: 0 sealed, 1 failed (unreadable card or certificate, unusable mail; a FILE that
changes while it is sealed, read twice, leaves incomplete output: do not use it), 2 bad usage.
`;

const options = {
  card: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  'no-recipient-emails': { type: 'boolean' },
  'ttl-days': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new CliError(`${flag} is required (see 'kim smime seal --help')\nusage: ${sealUsage}`);
  return value;
}

interface RecipientSpec {
  readonly address: string;
  readonly files: readonly string[];
}

function recipientSpecs(values: readonly string[] | undefined): RecipientSpec[] {
  if (values === undefined || values.length === 0)
    throw new CliError(`--to ADDR=CERT.pem is required (see 'kim smime seal --help')\nusage: ${sealUsage}`);
  const seen = new Set<string>();
  return values.map((value) => {
    const eq = value.indexOf('=');
    if (eq < 0) throw new CliError(`--to ${JSON.stringify(value)}: expected ADDR=CERT.pem[,CERT2.pem]`);
    const address = kimAddress(value.slice(0, eq), '--to');
    const files = value.slice(eq + 1).split(',');
    if (files.some((f) => f === '')) throw new CliError(`--to ${address}: a certificate file name is empty`);
    const key = address.toLowerCase();
    if (seen.has(key))
      throw new CliError(
        `--to ${address} is given twice; list all its certificates in one --to, comma-separated`,
      );
    seen.add(key);
    return { address, files };
  });
}

function ttlDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(days >= 1 && days <= 365))
    throw new CliError(`--ttl-days: expected 1-365 days, got ${JSON.stringify(value)}`);
  return days;
}

export async function seal(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, options, sealUsage, true);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const cardDir = required(values.card, '--card DIR');
  const from = kimAddress(required(values.from, '--from ADDR'), '--from');
  const specs = recipientSpecs(values.to);
  const dataTimeToLiveDays = ttlDays(values['ttl-days']);
  const source = inputSource(positionals, sealUsage);
  const fromStdin = values['password-stdin'] === true;
  const password = passwordSource(fromStdin, source, io.stdin);

  const recipients: KimRecipient[] = [];
  for (const spec of specs) {
    const certificates: Buffer[] = [];
    for (const file of spec.files) certificates.push((await readCertificate(file)).raw);
    recipients.push({ address: spec.address, certificates });
  }
  const konnektor = await loadCard(cardDir, fromStdin, password);

  const output = new OutputWriter(io.stdout);
  let sealed;
  try {
    sealed = await withMessageSource(source, io.stdin, (mail) =>
      sealKimMessageTo(
        {
          mail,
          konnektor,
          senderAddress: from,
          recipients,
          now: new Date(),
          ...(dataTimeToLiveDays === undefined ? {} : { dataTimeToLiveDays }),
          ...(values['no-recipient-emails'] === true ? { includeRecipientEmails: false } : {}),
        },
        (piece) => output.write(piece),
      ),
    );
  } catch (error) {
    if (error instanceof KimMessageError || error instanceof CmsError || error instanceof KonnektorError)
      throw new CliError(`cannot seal: ${error.message}`, 1);
    throw error;
  } finally {
    output.close();
  }
  const copies = sealed.recipientEmails.map((r) => r.email);
  io.stderr.write(
    `sealed: ${copies.length} RecipientInfo${copies.length === 1 ? '' : 's'} for ${[...new Set(copies)].join(', ')}\n`,
  );
  return 0;
}
