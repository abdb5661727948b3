import { parseAddressHeader } from 'mailparser';
import type { AddressObject, EmailAddress } from 'mailparser';
import type { OriginatorHeaders } from '../../../domain/submission/index.js';

export interface ParsedHeaders extends OriginatorHeaders {
  readonly messageId: string | null;
}

/**
 * Parse the originator fields and Message-ID from a header block (never the body: it may be
 * 36 MB of S/MIME, and the Fachdienst does not read content).
 *
 * The originator rules need the addresses of *every* From, Sender and Reply-To field. mailparser
 * keeps only the first field of each (and drops the obsolete form `From :` altogether), so a
 * second `Reply-To: <x@example.com>` or `From: <other@…>` would pass unchecked. We therefore split
 * the header block into fields ourselves and parse each occurrence's value.
 */
export function parseOriginatorHeaders(header: Buffer): Promise<ParsedHeaders> {
  const fields = headerFields(header);
  const all = (name: string) => addresses(parseAddressHeader(fields.get(name) ?? []));
  return Promise.resolve({
    from: all('from'),
    sender: all('sender'),
    replyTo: all('reply-to'),
    messageId: messageIdOf(fields.get('message-id')?.[0]),
  });
}

/** The msg-id of a Message-ID field (RFC 5322 §3.6.4): `<left@right>`, folding removed. */
function messageIdOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  const match = /<[^<>\s]+>/.exec(value.replace(/\r?\n[ \t]+/g, ' '));
  return match?.[0] ?? null;
}

/**
 * The values of the header fields by lower-case name, every occurrence in order, unfolded lines
 * kept as they are (RFC 5322 §2.2; WSP before the colon is the obsolete syntax of §4.5).
 */
function headerFields(header: Buffer): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  const lines = header.toString('latin1').split(/\r?\n/);
  let current: { name: string; value: string } | null = null;
  const flush = () => {
    if (current === null) return;
    // Raw 8-bit octets are taken as UTF-8 (RFC 6532), as mailparser does.
    const value = Buffer.from(current.value, 'latin1').toString('utf8');
    fields.set(current.name, [...(fields.get(current.name) ?? []), value]);
    current = null;
  };
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (current !== null) current.value += `\r\n${line}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = {
      name: line
        .slice(0, colon)
        .replace(/[ \t]+$/, '')
        .toLowerCase(),
      value: line.slice(colon + 1),
    };
  }
  flush();
  return fields;
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
