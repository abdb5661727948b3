import type { MessageBytes } from '../ports.js';

/** How much of a mail is searched for its header block. */
const MAX_HEADER_OCTETS = 256 * 1024;

/**
 * The Message-ID of a mail (`<left@right>`), read from its header block only, or null. Used to
 * tie the proxy's own error mails to the message they are about (In-Reply-To).
 */
export function messageIdOf(mail: MessageBytes): string | null {
  const head: Buffer[] = [];
  let octets = 0;
  for (const chunk of mail) {
    head.push(chunk);
    octets += chunk.length;
    if (octets >= MAX_HEADER_OCTETS) break;
  }
  const text = Buffer.concat(head).subarray(0, MAX_HEADER_OCTETS).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const field = /^message-id[ \t]*:(.*)$/im.exec(header);
  if (field?.[1] === undefined) return null;
  return /<[\x21-\x3b\x3d\x3f-\x7e]+>/.exec(field[1])?.[0] ?? null;
}
