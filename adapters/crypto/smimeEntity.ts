/**
 * Unwraps the CMS bytes from what a peer or a tool hands over: raw DER/BER, PEM
 * (`-----BEGIN CMS-----`, `PKCS7`), or an `application/pkcs7-mime` entity such as the signed
 * entity inside a KIM message (kim-domain §6.1 step 3, `Content-Transfer-Encoding: binary`).
 */
import { CmsError } from './errors.js';
import { asBuffer } from './signedData.js';

/** MIME headers of an S/MIME entity are short; a bound keeps a header search from scanning 40 MB. */
const MAX_HEADER_BYTES = 64 * 1024;
const PEM =
  /^-----BEGIN (CMS|PKCS7|PKCS #7 SIGNED DATA)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----\s*$/;

/**
 * The CMS encoding inside `input`. Raw DER/BER and binary MIME bodies are returned as views
 * (zero-copy); PEM and base64 bodies are decoded. Throws CmsError FORMAT for anything else.
 */
export function signedDataBytesFrom(input: Uint8Array): Buffer {
  const bytes = asBuffer(input);
  if (bytes[0] === 0x30) return bytes;
  const start = bytes.subarray(0, 16).toString('latin1').trimStart();
  if (start.startsWith('-----BEGIN')) return cmsFromPem(bytes);
  return fromMimeEntity(bytes);
}

/** The CMS bytes of a `-----BEGIN CMS-----` / `PKCS7` PEM block. Throws CmsError FORMAT otherwise. */
export function cmsFromPem(bytes: Buffer): Buffer {
  const match = PEM.exec(bytes.toString('latin1').trim() + '\n');
  if (match === null) throw new CmsError('FORMAT', 'not a CMS/PKCS7 PEM block');
  return Buffer.from(match[2] ?? '', 'base64');
}

/** A MIME entity split at its header: the fields an S/MIME reader needs, and the raw body. */
export interface SmimeEntity {
  /** Lower-cased, '' when the field is missing. */
  readonly contentType: string;
  /** Lower-cased Content-Type parameters, unquoted. */
  readonly parameters: ReadonlyMap<string, string>;
  /** Lower-cased, '' when the field is missing. */
  readonly transferEncoding: string;
  /** A view of the input after the blank line. */
  readonly body: Buffer;
}

/**
 * Splits `bytes` at the first blank line (CRLF or LF) within `maxHeaderBytes` and reads
 * Content-Type and Content-Transfer-Encoding. Throws CmsError FORMAT when there is no header.
 */
export function splitSmimeEntity(bytes: Buffer, maxHeaderBytes = MAX_HEADER_BYTES): SmimeEntity {
  const window = bytes.subarray(0, maxHeaderBytes);
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
    throw new CmsError('FORMAT', 'neither CMS, PEM nor a MIME entity');
  }
  return {
    ...parseHeaders(bytes.subarray(0, headerEnd).toString('latin1')),
    body: bytes.subarray(bodyStart),
  };
}

/** The body with its transfer encoding undone; binary bodies as views, never line-end-normalised. */
export function decodeEntityBody(entity: SmimeEntity): Buffer {
  switch (entity.transferEncoding) {
    case 'base64':
      return Buffer.from(entity.body.toString('latin1'), 'base64');
    case '':
    case 'binary':
    case '8bit':
    case '7bit':
      // Never line-end-normalise a binary body (the gematik sample's defect, kim-domain §6.1).
      return entity.body;
    default:
      throw new CmsError('FORMAT', `Content-Transfer-Encoding ${entity.transferEncoding} not supported`);
  }
}

function fromMimeEntity(bytes: Buffer): Buffer {
  const entity = splitSmimeEntity(bytes);
  if (entity.contentType !== 'application/pkcs7-mime' && entity.contentType !== 'application/x-pkcs7-mime') {
    throw new CmsError('FORMAT', `entity is ${entity.contentType || 'untyped'}, not application/pkcs7-mime`);
  }
  const smimeType = entity.parameters.get('smime-type');
  if (smimeType !== undefined && smimeType !== 'signed-data') {
    throw new CmsError('FORMAT', `smime-type ${smimeType}, expected signed-data`);
  }
  return decodeEntityBody(entity);
}

function parseHeaders(text: string): Omit<SmimeEntity, 'body'> {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  let contentType = '';
  let transferEncoding = '';
  const parameters = new Map<string, string>();
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-type') {
      const [type = '', ...params] = value.split(';');
      contentType = type.trim().toLowerCase();
      for (const param of params) {
        const eq = param.indexOf('=');
        if (eq < 0) continue;
        const key = param.slice(0, eq).trim().toLowerCase();
        const raw = param.slice(eq + 1).trim();
        parameters.set(key, raw.replace(/^"(.*)"$/, '$1').toLowerCase());
      }
    } else if (name === 'content-transfer-encoding') {
      transferEncoding = value.toLowerCase();
    }
  }
  return { contentType, parameters, transferEncoding };
}
