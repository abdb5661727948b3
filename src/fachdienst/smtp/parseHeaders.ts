import { simpleParser } from 'mailparser';
import type { AddressObject, EmailAddress } from 'mailparser';
import type { OriginatorHeaders } from '../../../domain/submission/index.js';

export interface ParsedHeaders extends OriginatorHeaders {
  readonly messageId: string | null;
}

/**
 * Parse the originator fields and Message-ID from a header block (never the body: it may be
 * 36 MB of S/MIME, and the Fachdienst does not read content).
 */
export async function parseOriginatorHeaders(header: Buffer): Promise<ParsedHeaders> {
  const parsed = await simpleParser(Buffer.concat([header, Buffer.from('\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  return {
    from: addresses(parsed.from),
    sender: addresses(parsed.headers.get('sender') as AddressObject | AddressObject[] | undefined),
    replyTo: addresses(parsed.replyTo),
    messageId: parsed.messageId ?? null,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (field === undefined) return [];
  const objects = Array.isArray(field) ? field : [field];
  const out: string[] = [];
  const walk = (list: EmailAddress[]) => {
    for (const entry of list) {
      if (entry.group !== undefined) walk(entry.group);
      else if (entry.address !== undefined && entry.address !== '') out.push(entry.address);
    }
  };
  for (const object of objects) walk(object.value);
  return out;
}
