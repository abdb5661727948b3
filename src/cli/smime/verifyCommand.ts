/** `kim smime verify`: the signature check alone, for a DER, PEM or MIME SignedData. */
import { X509Certificate } from 'node:crypto';
import { CmsError, signedDataBytesFrom, verifySignedData } from '../../../adapters/crypto/index.js';
import { parse } from '../args.js';
import { CliError } from '../cliError.js';
import type { CliIo } from '../command.js';
import { checkCertificatePath } from './certificatePath.js';
import { distinguishedName } from './distinguishedName.js';
import { readCertificates } from './keyFiles.js';
import { inputSource, readMessage } from './readInput.js';
import { describeSigner } from './signerDescription.js';
import { writeChunks } from './writeOutput.js';

export const verifyUsage = 'kim smime verify [--ca CA.pem ...] [FILE|-]';

const help = `usage: ${verifyUsage}

Verifies an opaque CMS SignedData (RSASSA-PSS or PKCS#1 v1.5, SHA-256/384/512) and writes the
signed content exactly as signed to standard output, the result to standard error:
  verification: OK (RSASSA-PSS, signer CN=..., Telematik-ID ..., signed ...)
  verification: FAILED (CODE: reason)
Nothing is written to standard output unless the verification succeeded.

  FILE          DER or BER, PEM (CMS, PKCS7), or an application/pkcs7-mime entity such as
                'kim smime decrypt' writes; '-' or none: standard input
  --ca CA.pem   trust anchors (PEM, several per file, or DER; repeatable). With --ca the signer
                certificate must be issued by one of them: names, key identifiers, the anchor's
                CA flag and key usage, the certificate signature, and the validity of both
                certificates now (and of the signer's at its signingTime) are checked; every
                --ca certificate is trusted as given (its own issuer is not followed).
                Revocation (OCSP/CRL) is not checked.
                Without --ca only the signature itself is checked, not who made it.

Checked always: structure, signer certificate = sid (and signingCertificateV2 when present),
messageDigest, CMSAlgorithmProtection, the signature.

Exit status: 0 valid, 1 invalid or unreadable input, 2 bad usage.
`;

const options = {
  ca: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

function shortTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

export async function verify(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, options, verifyUsage, true);
  if (values.help === true) {
    io.stdout.write(help);
    return 0;
  }
  const source = inputSource(positionals, verifyUsage);
  const caPaths = values.ca ?? [];
  if (caPaths.some((p) => p === ''))
    throw new CliError(`--ca: the path must not be empty\nusage: ${verifyUsage}`);
  const anchors: X509Certificate[] = [];
  for (const path of caPaths) anchors.push(...(await readCertificates(path)));

  const message = await readMessage(source, io.stdin);
  let cms: Buffer;
  try {
    cms = signedDataBytesFrom(message);
  } catch (error) {
    if (error instanceof CmsError)
      throw new CliError(`the input is not a SignedData (DER, PEM or MIME): ${error.message}`, 1);
    throw error;
  }
  const result = verifySignedData(cms);
  if (!result.valid) {
    io.stderr.write(`verification: FAILED (${result.code}: ${result.reason})\n`);
    return 1;
  }

  const signer = new X509Certificate(result.signerCertificate);
  const details: string[] = [result.signatureScheme];
  const { subject, telematikId } = describeSigner(signer);
  details.push(`signer ${subject}`);
  if (telematikId !== undefined) details.push(`Telematik-ID ${telematikId}`);
  if (result.signingTime !== undefined) details.push(`signed ${shortTime(result.signingTime)}`);
  if (anchors.length > 0) {
    const path = checkCertificatePath(signer, anchors, new Date(), result.signingTime);
    if (!path.ok) {
      io.stderr.write(`verification: FAILED (certificate: ${path.reason})\n`);
      return 1;
    }
    details.push(`issued by ${distinguishedName(path.anchor.subject)}`);
  } else {
    details.push('certificate not checked: no --ca');
  }
  await writeChunks(io.stdout, result.content);
  io.stderr.write(`verification: OK (${details.join(', ')})\n`);
  return 0;
}
