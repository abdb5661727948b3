import { UpstreamError } from './errors.js';
import type { SocketReader } from './socketReader.js';

/** One SMTP reply (RFC 5321 §4.2), possibly of several lines. */
export interface SmtpReply {
  readonly code: number;
  /** RFC 3463 enhanced status code of the last line, when it carries one of the reply's class. */
  readonly enhanced: string | null;
  /** Text of the last line after the code and the enhanced code. */
  readonly text: string;
  /** Text of every line after the code (EHLO keywords, multi-line explanations). */
  readonly lines: readonly string[];
}

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; some servers send more. */
const MAX_REPLY_LINE = 4096;
const MAX_REPLY_LINES = 100;
const LINE = /^([2-5][0-9][0-9])([ -]|$)(.*)$/;
const ENHANCED = /^([245])\.([0-9]{1,3})\.([0-9]{1,3})(?: |$)/;

/** Reads one complete reply; throws PROTOCOL for anything that is not an SMTP reply. */
export async function readSmtpReply(reader: SocketReader): Promise<SmtpReply> {
  const lines: string[] = [];
  let code: string | null = null;
  for (;;) {
    const line = await reader.line(MAX_REPLY_LINE);
    const match = LINE.exec(line);
    if (match === null || (code !== null && match[1] !== code)) {
      throw new UpstreamError('PROTOCOL', 'the Fachdienst sent something that is not an SMTP reply');
    }
    code = match[1] ?? '';
    lines.push(match[3] ?? '');
    if (match[2] !== '-') break;
    if (lines.length >= MAX_REPLY_LINES) throw new UpstreamError('PROTOCOL', 'SMTP reply too long');
  }
  const last = lines[lines.length - 1] ?? '';
  const enhanced = ENHANCED.exec(last);
  const hasEnhanced = enhanced !== null && enhanced[1] === code[0];
  return {
    code: Number(code),
    enhanced: hasEnhanced ? `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}` : null,
    text: hasEnhanced ? last.slice(enhanced[0].length) : last,
    lines,
  };
}

/** `550 5.1.1 No such user here` — for logs and for passing a reply on in a text. */
export function formatSmtpReply(reply: SmtpReply): string {
  return [String(reply.code), reply.enhanced, reply.text].filter((p) => p !== null && p !== '').join(' ');
}
