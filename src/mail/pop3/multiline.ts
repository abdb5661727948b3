/** A complete multi-line response: status, lines, terminator. Lines must not start with ".". */
export function multiline(status: string, lines: readonly string[]): string {
  return lines.length === 0 ? `${status}\r\n.\r\n` : `${status}\r\n${lines.join('\r\n')}\r\n.\r\n`;
}
