import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { BareLfNormalizer } from '../../mail/smtp/bareLf.js';

export type CollectedMail =
  | { readonly kind: 'mail'; readonly chunks: Buffer[]; readonly size: number }
  | { readonly kind: 'too-big'; readonly size: number };

/**
 * Reads the client's DATA (already un-stuffed by smtp-server) into memory for the message
 * pipeline, with bare LFs made CRLF (as the Fachdienst does; a bare line end is how SMTP
 * smuggling hides a second message). Past `maxOctets` nothing more is kept, but the stream is
 * read to its end, so the client gets its 552 after the terminating dot.
 */
export async function collectMail(stream: Readable, maxOctets: number): Promise<CollectedMail> {
  const chunks: Buffer[] = [];
  let size = 0;
  await pipeline(stream, new BareLfNormalizer(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      size += chunk.length;
      if (size <= maxOctets) chunks.push(chunk);
      else chunks.length = 0;
    }
  });
  return size > maxOctets ? { kind: 'too-big', size } : { kind: 'mail', chunks, size };
}
