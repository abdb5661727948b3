/**
 * The AuthEnvelopedData inside what `kim smime decrypt` is handed: a KIM mail (outer headers and
 * a base64 `application/pkcs7-mime` body, kim-domain §6.1 step 5), the bare BER/DER CMS, or PEM.
 */
import { CliError } from '../cliError.js';

/** Outer headers of a relayed KIM mail carry Received lines; 1 MiB is far more than real headers. */
const MAX_HEADER_BYTES = 1024 * 1024;
const PEM = /^-----BEGIN (CMS|PKCS7)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----\s*$/;
const ENVELOPED_TYPES = new Set(['authenticated-enveloped-data', 'authenveloped-data', 'enveloped-data']);

function notAnEnvelope(reason: string): CliError {
  return new CliError(`the input is not an encrypted KIM message (${reason})`, 1);
}

interface Entity {
  readonly contentType: string;
  readonly smimeType: string | undefined;
  readonly transferEncoding: string;
  readonly body: Buffer;
}

function splitEntity(bytes: Buffer): Entity {
  const window = bytes.subarray(0, MAX_HEADER_BYTES);
  const crlf = window.indexOf('\r\n\r\n');
  const lf = window.indexOf('\n\n');
  let headerEnd: number;
  let bodyStart: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) {
    headerEnd = crlf;
    bodyStart = crlf + 4;
  } else if (lf >= 0) {
    headerEnd = lf;
    bodyStart = lf + 2;
  } else {
    throw notAnEnvelope('neither CMS, PEM nor a MIME mail');
  }
  const lines = bytes
    .subarray(0, headerEnd)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/);
  let contentType = '';
  let smimeType: string | undefined;
  let transferEncoding = '';
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') {
      const [type = '', ...parameters] = value.split(';');
      contentType = type.trim().toLowerCase();
      for (const parameter of parameters) {
        const eq = parameter.indexOf('=');
        if (eq > 0 && parameter.slice(0, eq).trim().toLowerCase() === 'smime-type')
          smimeType = parameter
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1')
            .toLowerCase();
      }
    } else if (name === 'content-transfer-encoding') {
      transferEncoding = value.toLowerCase();
    }
  }
  return { contentType, smimeType, transferEncoding, body: bytes.subarray(bodyStart) };
}

function fromMail(bytes: Buffer): Buffer {
  const entity = splitEntity(bytes);
  if (entity.contentType !== 'application/pkcs7-mime' && entity.contentType !== 'application/x-pkcs7-mime')
    throw notAnEnvelope(`Content-Type is ${entity.contentType || 'missing'}, not application/pkcs7-mime`);
  if (entity.smimeType === 'signed-data')
    throw notAnEnvelope("it is signed-data, not encrypted; use 'kim smime verify'");
  if (entity.smimeType !== undefined && !ENVELOPED_TYPES.has(entity.smimeType))
    throw notAnEnvelope(`smime-type ${entity.smimeType}`);
  switch (entity.transferEncoding) {
    case 'base64':
      return Buffer.from(entity.body.toString('latin1'), 'base64');
    case '':
    case 'binary':
    case '7bit':
    case '8bit':
      return entity.body;
    default:
      throw notAnEnvelope(`Content-Transfer-Encoding ${entity.transferEncoding} is not supported`);
  }
}

function fromPem(bytes: Buffer): Buffer {
  const match = PEM.exec(bytes.toString('latin1').trim() + '\n');
  if (match === null) throw notAnEnvelope('a PEM block, but not CMS or PKCS7');
  return Buffer.from(match[2] ?? '', 'base64');
}

/** The CMS bytes (a view of `input` when it is already CMS). Throws CliError (exit 1) otherwise. */
export function envelopeBytesFrom(input: Buffer): Buffer {
  if (input.length === 0) throw notAnEnvelope('it is empty');
  // ContentInfo is a SEQUENCE: 0x30 is never the first byte of a header line or PEM.
  if (input[0] === 0x30) return input;
  const start = input.subarray(0, 64).toString('latin1').trimStart();
  if (start.startsWith('-----BEGIN')) return fromPem(input);
  return fromMail(input);
}
