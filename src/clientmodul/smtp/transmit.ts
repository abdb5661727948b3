import type { MessageBytes } from '../ports.js';
import { UpstreamError } from '../upstream/errors.js';
import type { SmtpCapabilities } from '../upstream/smtpClient.js';
import type { SmtpReply as UpstreamReply } from '../upstream/smtpReply.js';
import type { RefusedRecipient } from './refusalMail.js';
import type { UpstreamLink } from './upstreamLink.js';
import { encodeXtext } from './xtext.js';

export interface EnvelopeRecipient {
  readonly address: string;
  /** RFC 3461 NOTIFY values, passed on when the Fachdienst offers DSN. */
  readonly notify?: readonly string[];
  /** RFC 3461 ORCPT, decoded (`rfc822;addr`). */
  readonly orcpt?: string;
}

export interface TransmitRequest {
  readonly sender: string;
  readonly recipients: readonly EnvelopeRecipient[];
  readonly message: MessageBytes;
  readonly ret?: string;
  readonly envid?: string;
  /** `8bitmime` when the client declared BODY=8BITMIME. */
  readonly bodyType?: string;
}

export type TransmitOutcome =
  /** The Fachdienst took the message (for the recipients not in `refused`). */
  | { readonly kind: 'sent'; readonly reply: UpstreamReply; readonly refused: readonly RefusedRecipient[] }
  /** Nothing was sent; `reply` is the refusal to pass on. */
  | {
      readonly kind: 'refused';
      readonly reply: UpstreamReply;
      readonly refused: readonly RefusedRecipient[];
    };

/** What smtp-server lets through as an address, minus anything that could break a command. */
const SAFE_ADDRESS = /^[^\s<>"\\]+@[^\s<>"\\@]+$/;

/**
 * One transaction with the Fachdienst (§7.2 step 12): MAIL FROM with the SIZE of the message as
 * it is sent (A_23554), RCPT TO per recipient with its DSN parameters, DATA. Throws UpstreamError
 * when the connection fails (the link is dropped then; nothing was delivered unless the final
 * `.` was acknowledged), or UpstreamLoginRefused.
 *
 * A connection that was used before may have been closed by the Fachdienst meanwhile (idle
 * timeout): if MAIL FROM finds it closed (or gets 421), the transaction starts once more on a
 * fresh connection, which is safe because nothing of the message was sent yet.
 */
export async function transmit(link: UpstreamLink, request: TransmitRequest): Promise<TransmitOutcome> {
  for (const address of [request.sender, ...request.recipients.map((r) => r.address)]) {
    if (!SAFE_ADDRESS.test(address)) throw new Error('transmit: invalid address in the envelope');
  }
  const size = request.message.reduce((sum, chunk) => sum + chunk.length, 0);
  const first = await link.acquire();
  const reused = first.reused;
  let client = first.client;
  let mail: UpstreamReply;
  try {
    mail = await client.command(mailCommand(request, size, client.capabilities));
    if (reused && mail.code === 421)
      throw new UpstreamError('CLOSED', 'the Fachdienst closed the idle connection');
  } catch (error) {
    // Only a connection that turned out to be closed is retried; one that hangs is not.
    if (!reused || !(error instanceof UpstreamError) || error.code !== 'CLOSED') throw error;
    link.drop();
    ({ client } = await link.acquire());
    mail = await client.command(mailCommand(request, size, client.capabilities));
  }
  if (mail.code !== 250) return refuse(link, mail, []);

  const refused: RefusedRecipient[] = [];
  let accepted = 0;
  for (const recipient of request.recipients) {
    const reply = await client.command(rcptCommand(recipient, client.capabilities));
    if (reply.code === 421) return refuse(link, reply, refused);
    if (reply.code === 250 || reply.code === 251) accepted += 1;
    else refused.push({ address: recipient.address, reply });
  }
  if (accepted === 0) return refuse(link, pickRefusal(refused), refused);

  const final = await client.data(request.message);
  if (final.code >= 200 && final.code < 300) return { kind: 'sent', reply: final, refused };
  return refuse(link, final, refused);
}

/** Ends a refused transaction: RSET (KOM-LE-A_2025), or drop the connection after a 421. */
async function refuse(
  link: UpstreamLink,
  reply: UpstreamReply,
  refused: readonly RefusedRecipient[],
): Promise<TransmitOutcome> {
  if (reply.code === 421) link.drop();
  else await link.reset();
  return { kind: 'refused', reply, refused };
}

/** With no recipient accepted, a temporary refusal wins: the client should retry the message. */
function pickRefusal(refused: readonly RefusedRecipient[]): UpstreamReply {
  const temporary = refused.find((r) => r.reply.code < 500);
  const chosen = temporary ?? refused[0];
  if (chosen === undefined) throw new Error('pickRefusal: no refusal');
  return chosen.reply;
}

function mailCommand(request: TransmitRequest, size: number, caps: SmtpCapabilities): string {
  let line = `MAIL FROM:<${request.sender}>`;
  if (caps.size !== null) line += ` SIZE=${size}`;
  if (request.bodyType === '8bitmime' && caps.eightBitMime) line += ' BODY=8BITMIME';
  if (caps.dsn && request.ret !== undefined) line += ` RET=${request.ret}`;
  if (caps.dsn && request.envid !== undefined) line += ` ENVID=${encodeXtext(request.envid)}`;
  return line;
}

function rcptCommand(recipient: EnvelopeRecipient, caps: SmtpCapabilities): string {
  let line = `RCPT TO:<${recipient.address}>`;
  if (caps.dsn && recipient.notify !== undefined && recipient.notify.length > 0) {
    line += ` NOTIFY=${recipient.notify.join(',')}`;
  }
  if (caps.dsn && recipient.orcpt !== undefined) line += ` ORCPT=${encodeXtext(recipient.orcpt)}`;
  return line;
}
