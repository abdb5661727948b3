/** Base64 for S/MIME bodies over chunk lists: 76-character lines (RFC 2045 §6.8) out, lenient lines in. */
import { Base64Decoder, maxDecodedLength } from './base64Decoder.js';
import { Base64LineEncoder } from './base64Encoder.js';

/** `chunks` base64-encoded in CRLF-terminated lines of 76 characters, ~78 KiB per output chunk. */
export function base64Lines(chunks: readonly Uint8Array[]): Buffer[] {
  const encoder = new Base64LineEncoder();
  const out: Buffer[] = [];
  for (const chunk of chunks) for (const lines of encoder.push(chunk)) out.push(lines);
  for (const lines of encoder.end()) out.push(lines);
  return out;
}

/**
 * Decodes a base64 body given as chunks (CRLF or LF line breaks anywhere, also across chunks).
 * Throws KimMessageError INVALID_MAIL when it is not base64 (see Base64Decoder).
 */
export function decodeBase64(chunks: readonly Buffer[]): Buffer {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const decoder = new Base64Decoder(Buffer.allocUnsafeSlow(maxDecodedLength(length)));
  for (const chunk of chunks) decoder.write(chunk);
  return decoder.end();
}
