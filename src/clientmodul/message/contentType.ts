/** The two MIME fields the pipeline decides on: Content-Type (with parameters) and Content-Transfer-Encoding. */
import type { HeaderField } from './headerBlock.js';
import { fieldsNamed, fieldValue, unfold } from './headerBlock.js';

export interface ContentType {
  /** `type/subtype` in lower case; `text/plain` when the field is absent (RFC 2045 §5.2). */
  readonly type: string;
  /** Parameter names in lower case; values unquoted, as written. */
  readonly parameters: ReadonlyMap<string, string>;
}

export function contentTypeOf(fields: readonly HeaderField[]): ContentType {
  const [field] = fieldsNamed(fields, 'content-type');
  if (field === undefined) return { type: 'text/plain', parameters: new Map() };
  const value = withoutComments(unfold(fieldValue(field)));
  const parts = splitParameters(value);
  const parameters = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const raw = part.slice(eq + 1).trim();
    const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    parameters.set(part.slice(0, eq).trim().toLowerCase(), unquoted);
  }
  return { type: (parts[0] ?? '').trim().toLowerCase(), parameters };
}

/** Lower case, `7bit` when absent. */
export function transferEncodingOf(fields: readonly HeaderField[]): string {
  const [field] = fieldsNamed(fields, 'content-transfer-encoding');
  if (field === undefined) return '7bit';
  return withoutComments(unfold(fieldValue(field)))
    .trim()
    .toLowerCase();
}

/** `;`-separated parts, semicolons inside quoted strings respected. */
function splitParameters(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (quoted && ch === '\\') {
      current += ch + (value[++i] ?? '');
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** RFC 822 comments outside quoted strings removed. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += ch + (value[i + 1] ?? '');
      i++;
    } else if (depth === 0 && ch === '"') {
      quoted = !quoted;
      out += ch;
    } else if (!quoted && ch === '(') depth++;
    else if (!quoted && depth > 0 && ch === ')') depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}
