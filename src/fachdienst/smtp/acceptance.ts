import type { Readable } from 'node:stream';
import type { BlobStore } from '../../../adapters/blobstore/index.js';
import { BlobTooLargeError } from '../../../adapters/blobstore/index.js';
import type { Notify, Recipient, Ret } from '../../../domain/submission/index.js';
import { checkOriginatorHeaders } from '../../../domain/submission/index.js';
import { Submission } from '../../core/aggregates.js';
import type { CommandHandler } from '../../core/commandHandler.js';
import type { Logger } from '../../logging/logger.js';
import { BareLfFilter } from '../../mail/smtp/bareLf.js';
import { HeaderCapture } from './headerCapture.js';
import { parseOriginatorHeaders } from './parseHeaders.js';
import { replies } from './replies.js';
import { rfc5322Date } from '../../mail/rfc5322Date.js';

export interface IncomingMessage {
  readonly body: Readable;
  readonly mailFrom: string;
  readonly recipients: readonly Recipient[];
  readonly envelopeId?: string | undefined;
  readonly ret?: Ret | undefined;
  readonly authUser: string;
  readonly client: {
    readonly address: string;
    readonly helo: string;
    readonly tlsProtocol?: string | undefined;
  };
}

export interface AcceptanceDeps {
  readonly blobs: BlobStore;
  readonly commands: CommandHandler;
  readonly hostname: string;
  readonly kimDomains: readonly string[];
  readonly maxMessageSize: number;
  readonly newId: () => string;
  readonly now: () => Date;
  readonly log: Logger;
}

/**
 * The durable acceptance of one message (architecture §5.1–2): stream the body into the blob
 * store (fsync'd under its content address) while keeping only its header block, check the
 * originator rules, then append `accepted` to a new submission stream. Only when both are durable
 * does the caller answer 250. Any failure before that leaves at most an orphan blob, which the
 * blob GC removes after its grace period.
 */
export class MessageAcceptance {
  constructor(private readonly deps: AcceptanceDeps) {}

  async accept(message: IncomingMessage): Promise<{ submissionId: string; size: number }> {
    const { deps } = this;
    const capture = new HeaderCapture();
    let stored;
    try {
      // The blob store pulls the body through this one generator (no stream stages); if it
      // stops early it closes the generator, and that destroys the DATA stream.
      stored = await deps.blobs.put(normalised(message.body, capture), { maxBytes: deps.maxMessageSize });
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw replies.tooBig(deps.maxMessageSize);
      deps.log.error({ err: error }, 'storing a message body failed');
      throw replies.storageFailed();
    }
    if (capture.headerTooLarge) throw replies.headerTooLarge();

    const headers = await parseOriginatorHeaders(capture.header);
    const verdict = checkOriginatorHeaders({
      mailFrom: message.mailFrom,
      rcptTo: message.recipients.map((r) => r.address),
      headers,
      kimDomains: deps.kimDomains,
    });
    if (!verdict.ok) {
      deps.log.info({ rule: verdict.rule, blobRef: stored.ref }, 'message refused by originator rules');
      throw replies.originator(verdict.reason);
    }

    const submissionId = deps.newId();
    const now = deps.now();
    try {
      await deps.commands.handle(
        Submission,
        submissionId,
        {
          type: 'AcceptSubmission',
          submissionId,
          sender: message.mailFrom,
          authUser: message.authUser,
          recipients: message.recipients,
          ...(message.envelopeId === undefined ? {} : { envelopeId: message.envelopeId }),
          ...(message.ret === undefined ? {} : { ret: message.ret }),
          blobRef: stored.ref,
          size: stored.size,
          digest: stored.ref,
          ...(headers.messageId === null ? {} : { messageId: headers.messageId }),
          receivedHeader: this.receivedHeader(message, submissionId, now),
          now: now.toISOString(),
        },
        { commandId: `accept:${submissionId}`, actor: 'smtp' },
        { newStream: true },
      );
    } catch (error) {
      deps.log.error({ err: error, submissionId }, 'appending the accepted submission failed');
      throw replies.storageFailed();
    }
    deps.log.info(
      { submissionId, blobRef: stored.ref, size: stored.size, recipients: message.recipients.length },
      'message accepted',
    );
    return { submissionId, size: stored.size };
  }

  /** RFC 5321 §4.4 trace field; `with ESMTPSA` = ESMTP with TLS and authentication (RFC 3848). */
  private receivedHeader(message: IncomingMessage, submissionId: string, now: Date): string {
    const helo = message.client.helo.replace(/[^\x21-\x7e]/g, '') || 'unknown';
    const forClause =
      message.recipients.length === 1 ? `\r\n\tfor <${message.recipients[0]?.address ?? ''}>` : '';
    const tls = message.client.tlsProtocol === undefined ? '' : ` (${message.client.tlsProtocol})`;
    return (
      `Received: from ${helo} ([${message.client.address}])\r\n` +
      `\tby ${this.deps.hostname} (KIM Fachdienst) with ESMTPSA${tls} id ${submissionId}${forClause};\r\n` +
      `\t${rfc5322Date(now)}\r\n`
    );
  }
}

/** The DATA bytes with bare LFs made CRLF, shown to the header capture on the way. */
async function* normalised(body: Readable, capture: HeaderCapture): AsyncGenerator<Buffer> {
  const bareLf = new BareLfFilter();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const out = bareLf.apply(chunk);
    capture.observe(out);
    yield out;
  }
}

/** DSN NOTIFY values from smtp-server's parsed RCPT parameters. */
export function notifyOf(values: readonly string[] | undefined): Notify[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.filter(
    (v): v is Notify => v === 'SUCCESS' || v === 'FAILURE' || v === 'DELAY' || v === 'NEVER',
  );
}
