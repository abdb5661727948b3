/**
 * The AuthEnvelopedData in the body of a received KIM message (kim-domain §6.1 step 5), read
 * into one buffer that belongs to the caller alone: base64 is decoded as it is read (the 35 MB
 * text of a 25 MB message is never in memory whole), other encodings are copied. Owning the
 * buffer lets the caller decrypt in place.
 */
import { Base64Decoder, maxDecodedLength } from './base64Decoder.js';
import { contentTypeOf, transferEncodingOf } from './contentType.js';
import { KimMessageError } from './errors.js';
import type { HeaderField } from './headerBlock.js';

export interface EnvelopeBodyInput {
  readonly fields: readonly HeaderField[];
  /** The body: first what was read with the header block, then the rest of the message. */
  readonly start: Buffer;
  readonly rest: AsyncIterator<Buffer>;
  /** The body's length in bytes (message size minus header block). */
  readonly length: number;
}

/** Throws KimMessageError INVALID_MAIL when the body is not an authenticated-enveloped-data entity. */
export async function readEnvelopeBody(input: EnvelopeBodyInput): Promise<Buffer> {
  const type = contentTypeOf(input.fields);
  const smimeType = type.parameters.get('smime-type')?.toLowerCase();
  if (
    (type.type !== 'application/pkcs7-mime' && type.type !== 'application/x-pkcs7-mime') ||
    (smimeType !== undefined && smimeType !== 'authenticated-enveloped-data')
  ) {
    throw new KimMessageError('INVALID_MAIL', `outer body is ${type.type}, not authenticated-enveloped-data`);
  }
  const encoding = transferEncodingOf(input.fields);
  if (encoding === 'base64') {
    const decoder = new Base64Decoder(Buffer.allocUnsafeSlow(maxDecodedLength(input.length)));
    await eachChunk(input, (chunk) => decoder.write(chunk));
    return decoder.end();
  }
  if (encoding === 'binary' || encoding === '8bit' || encoding === '7bit') {
    const out = Buffer.allocUnsafeSlow(input.length);
    let offset = 0;
    await eachChunk(input, (chunk) => {
      if (offset + chunk.length > out.length)
        throw new Error('internal: the message is longer than its size');
      offset += chunk.copy(out, offset);
    });
    return out.subarray(0, offset);
  }
  throw new KimMessageError('INVALID_MAIL', `outer Content-Transfer-Encoding ${encoding}`);
}

async function eachChunk(input: EnvelopeBodyInput, use: (chunk: Buffer) => void): Promise<void> {
  if (input.start.length > 0) use(input.start);
  for (let next = await input.rest.next(); next.done !== true; next = await input.rest.next())
    use(next.value);
}
