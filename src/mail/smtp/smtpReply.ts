/**
 * An SMTP reply a handler throws: reply code, enhanced status code (RFC 3463) and text;
 * smtp-server sends `responseCode` + message. The Fachdienst and the Clientmodul proxy each keep
 * their own catalogue of replies (their `replies.ts`).
 */
export class SmtpReply extends Error {
  override readonly name = 'SmtpReply';
  constructor(
    readonly responseCode: number,
    readonly enhanced: string,
    text: string,
  ) {
    super(`${enhanced} ${text}`);
  }
}

/** The size refusal both servers give, at MAIL FROM (SIZE=) and at the end of DATA. */
export const tooBig = (limit: number): SmtpReply =>
  new SmtpReply(552, '5.3.4', `Message exceeds fixed maximum message size ${limit}`);
