/** `kim smime decrypt`: the decryption step alone, with a key file. */
import { createPublicKey } from 'node:crypto';
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliIo } from '../command.js';
import { decryptWithKey } from './decryptWithKey.js';
import { envelopeBytesFrom } from './envelopeBytes.js';
import { readCertificate, readPrivateKey } from './keyFiles.js';
import { passwordSource } from './password.js';
import { inputSource, readMessage } from './readInput.js';
import { writeChunks } from './writeOutput.js';

export const decryptUsage = 'kim smime decrypt --key K.pem --cert C.pem [--password-stdin] [FILE|-]';

const help = `usage: ${decryptUsage}

Decrypts an AuthEnvelopedData (AES-256-GCM, RSAES-OAEP SHA-256 key transport) with a key file
and writes the content exactly as recovered to standard output, without unwrapping it further
(for a KIM message: the application/pkcs7-mime signed-data entity; 'kim smime verify' reads it).
Nothing is written unless the GCM tag verified.

  FILE               a KIM mail (base64 application/pkcs7-mime body), the bare BER/DER CMS,
                     or PEM (CMS, PKCS7); '-' or none: standard input
  --key K.pem        the recipient's private key (PEM or DER PKCS#8; may be encrypted)
  --cert C.pem       its certificate; chooses the RecipientInfo by issuer and serial number
  --password-stdin   the password of an encrypted --key: the first line of standard input
                     (without it: the ${CARD_PASSWORD_ENV} environment variable)

Exit status: 0 decrypted, 1 failed (unreadable input, no RecipientInfo for C.pem, altered
message), 2 bad usage.
`;

const options = {
  key: { type: 'string' },
  cert: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new CliError(`${flag} is required (see 'kim smime decrypt --help')\nusage: ${decryptUsage}`);
  return value;
}

export async function decrypt(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, options, decryptUsage, true);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const keyPath = required(values.key, '--key K.pem');
  const certPath = required(values.cert, '--cert C.pem');
  const source = inputSource(positionals, decryptUsage);
  const password = passwordSource(values['password-stdin'] === true, source, io.stdin);

  const certificate = await readCertificate(certPath);
  const key = await readPrivateKey(keyPath, password);
  const own = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!own.equals(certificate.publicKey.export({ type: 'spki', format: 'der' })))
    throw new CliError(`${keyPath} is not the private key of ${certPath}`, 1);

  const message = await readMessage(source, io.stdin);
  const content = decryptWithKey(envelopeBytesFrom(message), certificate, key);
  await writeChunks(io.stdout, content);
  return 0;
}
