/**
 * Sender integrity rules of KIM 1.5.3 (A_23421, A_23422): the authenticated user may only send
 * as itself, and the originator header fields must name the same address. Pure functions over
 * already-parsed addresses; the SMTP adapter maps a violation to 550 5.7.1.
 */

export interface OriginatorHeaders {
  /** Addresses of all From: fields. */
  readonly from: readonly string[];
  /** Addresses of all Sender: fields. */
  readonly sender: readonly string[];
  /** Addresses of all Reply-To: fields. */
  readonly replyTo: readonly string[];
}

export type OriginatorVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly rule: 'A_23421' | 'A_23422'; readonly reason: string };

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** A_23421: the envelope sender must be the authenticated account. */
export function checkEnvelopeSender(authUser: string, mailFrom: string): OriginatorVerdict {
  return same(authUser, mailFrom)
    ? { ok: true }
    : { ok: false, rule: 'A_23421', reason: 'the envelope sender must be the authenticated address' };
}

/**
 * A_23422, with its exception: a message sent only to the sender itself (one RCPT equal to MAIL
 * FROM) is exempt, because the Clientmodul sends its error notices and re-decryption forwards
 * that way.
 */
export function checkOriginatorHeaders(input: {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly headers: OriginatorHeaders;
  /** Domain suffixes a Reply-To address may end in, e.g. '.kim.telematik' or a configured domain. */
  readonly kimDomains: readonly string[];
}): OriginatorVerdict {
  const { mailFrom, rcptTo, headers } = input;
  const only = rcptTo[0];
  if (rcptTo.length === 1 && only !== undefined && same(only, mailFrom)) return { ok: true };

  const fail = (reason: string): OriginatorVerdict => ({ ok: false, rule: 'A_23422', reason });
  if (headers.from.length === 0) return fail('the message has no From address');
  const [firstFrom] = headers.from;
  if (headers.from.length === 1 && firstFrom !== undefined && !same(firstFrom, mailFrom)) {
    return fail('the From address differs from the envelope sender');
  }
  if (headers.sender.length > 1) return fail('the message has more than one Sender address');
  const [sender] = headers.sender;
  if (sender !== undefined && !same(sender, mailFrom))
    return fail('the Sender address differs from the envelope sender');
  // Several authors are only acceptable when the Sender field names the envelope sender (RFC 5322 3.6.2).
  if (headers.from.length > 1 && sender === undefined) {
    return fail('several From addresses without a Sender equal to the envelope sender');
  }
  const foreign = headers.replyTo.find((address) => !isInKimDomain(address, input.kimDomains));
  if (foreign !== undefined) return fail('a Reply-To address is outside the KIM domains');
  return { ok: true };
}

/** True when the address's domain is one of `kimDomains` or a subdomain of one. */
export function isInKimDomain(address: string, kimDomains: readonly string[]): boolean {
  const at = address.lastIndexOf('@');
  if (at < 1) return false;
  const domain = address.slice(at + 1).toLowerCase();
  return kimDomains.some((d) => {
    const suffix = d.toLowerCase().replace(/^\./, '');
    return domain === suffix || domain.endsWith(`.${suffix}`);
  });
}
