/**
 * Address lists of From/Sender/To/Cc (RFC 5322 §3.4) as far as the Clientmodul needs them:
 * which addresses a field names, and the field without some of them. Quoted strings, comments,
 * angle addresses and groups are respected; everything else of an entry is kept as written.
 */
import type { HeaderField } from './headerBlock.js';
import { fieldsNamed, fieldValue, unfold, writtenName } from './headerBlock.js';

export interface Mailbox {
  /** The entry as written (display name, comments, angle address), trimmed. */
  readonly text: string;
  /** The addr-spec, original spelling; undefined when the entry has none. */
  readonly address: string | undefined;
}

export type AddressItem =
  | { readonly kind: 'mailbox'; readonly mailbox: Mailbox }
  | { readonly kind: 'group'; readonly display: string; readonly members: readonly Mailbox[] };

/** The entries of an (unfolded) address-list value. */
export function parseAddressList(value: string): AddressItem[] {
  const items: AddressItem[] = [];
  let group: { display: string; members: Mailbox[] } | undefined;
  let current = '';
  const flush = (): void => {
    const text = current.trim();
    current = '';
    if (text === '') return;
    const mailbox = { text, address: addressOf(text) };
    if (group === undefined) items.push({ kind: 'mailbox', mailbox });
    else group.members.push(mailbox);
  };
  scan(value, (ch, context) => {
    const topLevel = context === 'top';
    if (topLevel && ch === ',') flush();
    else if (topLevel && ch === ':' && group === undefined) {
      group = { display: current.trim(), members: [] };
      current = '';
    } else if (topLevel && ch === ';' && group !== undefined) {
      flush();
      items.push({ kind: 'group', ...group });
      group = undefined;
    } else current += ch;
  });
  flush();
  if (group !== undefined) items.push({ kind: 'group', ...group }); // unterminated group: keep it
  return items;
}

/** Every addr-spec of a field value, group members included. */
export function addressesIn(value: string): string[] {
  return parseAddressList(unfold(value)).flatMap((item) =>
    (item.kind === 'mailbox' ? [item.mailbox] : item.members)
      .map((m) => m.address)
      .filter((a): a is string => a !== undefined),
  );
}

/**
 * The sender's address as kim-domain §6.6 defines it for the sender's copy: `Sender:`, else
 * `From:` when it names exactly one mailbox; undefined otherwise.
 */
export function senderAddressOf(fields: readonly HeaderField[]): string | undefined {
  const [sender] = fieldsNamed(fields, 'sender').flatMap((f) => addressesIn(fieldValue(f)));
  if (sender !== undefined) return sender;
  const from = fieldsNamed(fields, 'from').flatMap((f) => addressesIn(fieldValue(f)));
  return from.length === 1 ? from[0] : undefined;
}

/**
 * The field without the mailboxes `keep` rejects: the field itself when nothing is removed,
 * a rebuilt field otherwise, or undefined when no entry is left. Entries without an addr-spec
 * (e.g. an empty group `undisclosed-recipients:;`) are kept.
 */
export function withoutAddresses(
  field: HeaderField,
  keep: (address: string) => boolean,
): HeaderField | undefined {
  const items = parseAddressList(unfold(fieldValue(field)));
  const kept = (m: Mailbox): boolean => m.address === undefined || keep(m.address);
  const removed = items.some((item) =>
    item.kind === 'mailbox' ? !kept(item.mailbox) : item.members.some((m) => !kept(m)),
  );
  if (!removed) return field;
  const texts = items.flatMap((item) => {
    if (item.kind === 'mailbox') return kept(item.mailbox) ? [item.mailbox.text] : [];
    return [
      `${item.display}: ${item.members
        .filter(kept)
        .map((m) => m.text)
        .join(', ')};`,
    ];
  });
  if (texts.length === 0) return undefined;
  const raw = `${writtenName(field)}: ${texts.join(',\r\n ')}\r\n`;
  return { name: field.name, raw: Buffer.from(raw, 'latin1') };
}

/**
 * The addr-spec of one mailbox: the angle address when there is one (a source route is
 * dropped), else the text without comments and whitespace.
 */
function addressOf(text: string): string | undefined {
  let angle: string | undefined;
  let bare = '';
  scan(text, (ch, context) => {
    if (context === 'comment') return;
    if (context !== 'angle') bare += ch;
    else if (ch === '<' && angle === undefined) angle = '';
    else if (ch !== '>') angle = (angle ?? '') + ch;
  });
  const spec = (angle ?? bare).replace(/\s+/g, '');
  const withoutRoute = spec.slice(spec.lastIndexOf(':') + 1);
  return /^[^@\s]+@[^@\s]+$/.test(withoutRoute) ? withoutRoute : undefined;
}

type Context = 'top' | 'quote' | 'comment' | 'angle' | 'literal';

/**
 * Walks `text` and tells for each character where it stands: inside a comment, an angle
 * address, a quoted string or a domain literal (delimiters included), or at the top level.
 */
function scan(text: string, visit: (ch: string, context: Context) => void): void {
  let quoted = false;
  let escaped = false;
  let comment = 0;
  let angle = false;
  let literal = false;
  for (const ch of text) {
    if (escaped) {
      escaped = false;
      visit(ch, comment > 0 ? 'comment' : angle ? 'angle' : 'quote');
    } else if (comment > 0) {
      if (ch === '\\') escaped = true;
      else if (ch === '(') comment++;
      else if (ch === ')') comment--;
      visit(ch, 'comment');
    } else if (quoted) {
      if (ch === '\\') escaped = true;
      else if (ch === '"') quoted = false;
      visit(ch, angle ? 'angle' : 'quote');
    } else if (ch === '(') {
      comment = 1;
      visit(ch, 'comment');
    } else if (ch === '"') {
      quoted = true;
      visit(ch, angle ? 'angle' : 'quote');
    } else if (angle) {
      if (ch === '>') angle = false;
      visit(ch, 'angle');
    } else if (literal) {
      if (ch === ']') literal = false;
      visit(ch, 'literal');
    } else if (ch === '<' || ch === '[') {
      angle = ch === '<';
      literal = ch === '[';
      visit(ch, angle ? 'angle' : 'literal');
    } else visit(ch, 'top');
  }
}
