/**
 * The AuthEnvelopedData inside what `kim smime decrypt` is handed: a KIM mail (outer headers and
 * a base64 `application/pkcs7-mime` body, kim-domain §6.1 step 5), the bare BER/DER CMS, or PEM.
 * Splitting and decoding are the codec's (adapters/crypto/smimeEntity.ts); here is only what
 * decrypt accepts and how it says so.
 */
import { CmsError, cmsFromPem, decodeEntityBody, splitSmimeEntity } from '../../../adapters/crypto/index.js';
import { CliError } from '../cliError.js';

/** Outer headers of a relayed KIM mail carry Received lines; 1 MiB is far more than real headers. */
const MAX_HEADER_BYTES = 1024 * 1024;
const ENVELOPED_TYPES = new Set(['authenticated-enveloped-data', 'authenveloped-data', 'enveloped-data']);

function notAnEnvelope(reason: string): CliError {
  return new CliError(`the input is not an encrypted KIM message (${reason})`, 1);
}

/** The codec's FORMAT errors as the CLI's one-line refusal. */
function orRefuse<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof CmsError) throw notAnEnvelope(error.message);
    throw error;
  }
}

function fromMail(bytes: Buffer): Buffer {
  const entity = orRefuse(() => splitSmimeEntity(bytes, MAX_HEADER_BYTES));
  if (entity.contentType !== 'application/pkcs7-mime' && entity.contentType !== 'application/x-pkcs7-mime')
    throw notAnEnvelope(`Content-Type is ${entity.contentType || 'missing'}, not application/pkcs7-mime`);
  const smimeType = entity.parameters.get('smime-type');
  if (smimeType === 'signed-data')
    throw notAnEnvelope("it is signed-data, not encrypted; use 'kim smime verify'");
  if (smimeType !== undefined && !ENVELOPED_TYPES.has(smimeType))
    throw notAnEnvelope(`smime-type ${smimeType}`);
  return orRefuse(() => decodeEntityBody(entity));
}

/** The CMS bytes (a view of `input` when it is already CMS). Throws CliError (exit 1) otherwise. */
export function envelopeBytesFrom(input: Buffer): Buffer {
  if (input.length === 0) throw notAnEnvelope('it is empty');
  // ContentInfo is a SEQUENCE: 0x30 is never the first byte of a header line or PEM.
  if (input[0] === 0x30) return input;
  const start = input.subarray(0, 64).toString('latin1').trimStart();
  if (start.startsWith('-----BEGIN')) return orRefuse(() => cmsFromPem(input));
  return fromMail(input);
}
