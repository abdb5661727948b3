import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerEnvelope } from 'smtp-server';
import type { Logger } from '../../logging/logger.js';
import type { MessageBytes, OutgoingMailProcessor, SealResult } from '../ports.js';
import { UpstreamError } from '../upstream/errors.js';
import { formatSmtpReply } from '../upstream/smtpReply.js';
import { collectMail } from './collect.js';
import { messageIdOf } from './messageId.js';
import { recipientRefusalMail } from './refusalMail.js';
import { replies, SmtpReply } from './replies.js';
import { transmit } from './transmit.js';
import type { EnvelopeRecipient, TransmitOutcome } from './transmit.js';
import { UpstreamLoginRefused } from './upstreamLink.js';
import type { UpstreamLink } from './upstreamLink.js';

export interface RelayRequest {
  readonly stream: SMTPServerDataStream;
  readonly envelope: SMTPServerEnvelope & { readonly mailFrom: SMTPServerAddress };
  readonly link: UpstreamLink;
  readonly processor: OutgoingMailProcessor;
  readonly maxMailSize: number;
  readonly accountMaxMailSize: number | undefined;
  readonly hostname: string;
  readonly now: () => Date;
  readonly log: Logger;
}

/**
 * One client message, from the end of DATA to the final reply (§7.2 steps 3–12): collect it,
 * seal it, replay MAIL/RCPT/DATA to the Fachdienst, then send the error mails to the sender.
 * Resolves with the text of the 250 for the client; rejects with the {@link SmtpReply} to give.
 */
export async function relayMessage(request: RelayRequest): Promise<string> {
  const { envelope, link, log } = request;
  const collected = await collectMail(request.stream, request.maxMailSize);
  if (collected.kind === 'too-big' || request.stream.sizeExceeded) {
    log.info({ size: collected.size, limit: request.maxMailSize }, 'client mail too large');
    throw replies.tooBig(request.maxMailSize);
  }
  const sender = envelope.mailFrom.address;
  const clientRecipients = new Map<string, EnvelopeRecipient>();
  for (const rcpt of envelope.rcptTo) {
    clientRecipients.set(rcpt.address.toLowerCase(), {
      address: rcpt.address,
      ...(rcpt.dsn?.notify === undefined ? {} : { notify: rcpt.dsn.notify }),
      ...(rcpt.dsn?.orcpt === undefined ? {} : { orcpt: rcpt.dsn.orcpt }),
    });
  }

  let sealed: SealResult;
  try {
    sealed = await request.processor.seal({
      mail: collected.chunks,
      sender,
      recipients: envelope.rcptTo.map((r) => r.address),
      ...(request.accountMaxMailSize === undefined ? {} : { maxMailSize: request.accountMaxMailSize }),
    });
  } catch (error) {
    log.error({ err: error }, 'sealing failed');
    await link.reset();
    throw replies.processingFailed();
  }
  if (sealed.kind === 'refused') {
    log.info({ code: sealed.code, enhanced: sealed.enhanced }, 'message refused by the message pipeline');
    await link.reset();
    throw new SmtpReply(sealed.code, sealed.enhanced, sealed.text);
  }
  if (sealed.recipients.length === 0) {
    await link.reset();
    throw replies.noRecipientLeft();
  }

  const outcome = await guarded(link, () =>
    transmit(link, {
      sender,
      recipients: sealed.recipients.map((a) => clientRecipients.get(a.toLowerCase()) ?? { address: a }),
      message: sealed.message,
      ...(envelope.dsn?.ret == null ? {} : { ret: envelope.dsn.ret }),
      ...(envelope.dsn?.envid == null ? {} : { envid: envelope.dsn.envid }),
      ...(envelope.bodyType === undefined ? {} : { bodyType: envelope.bodyType }),
    }),
  );
  if (outcome.kind === 'refused') {
    log.info(
      { reply: outcome.reply.code, refused: outcome.refused.length },
      'Fachdienst refused the message',
    );
    throw replies.fromUpstream(outcome.reply);
  }
  log.info(
    { recipients: sealed.recipients.length, removed: sealed.removed.length, refused: outcome.refused.length },
    'message sent',
  );

  // The message is with the Fachdienst now; failing error mails are logged, not reported as a
  // failure of the message (the client would send it a second time).
  if (sealed.errorMail !== undefined)
    await sendToSelf(link, sender, sealed.errorMail, log, 'removed recipients');
  if (outcome.refused.length > 0) {
    const mail = recipientRefusalMail({
      sender,
      refused: outcome.refused,
      originalMessageId: messageIdOf(collected.chunks),
      reportingHost: request.hostname,
      now: request.now(),
    });
    await sendToSelf(link, sender, mail, log, 'refused recipients');
  }
  return `${outcome.reply.enhanced ?? '2.0.0'} ${outcome.reply.text}`;
}

/** Maps connection trouble with the Fachdienst to the reply for the client. */
async function guarded(link: UpstreamLink, run: () => Promise<TransmitOutcome>): Promise<TransmitOutcome> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UpstreamLoginRefused) throw error.reply;
    if (error instanceof UpstreamError) {
      link.drop();
      throw error.code === 'TIMEOUT' ? replies.upstreamTimeout() : replies.upstreamFailed(error);
    }
    throw error;
  }
}

/** A CM error mail: unsigned, to the sender's own address through the Fachdienst (§7.2 step 12). */
async function sendToSelf(
  link: UpstreamLink,
  sender: string,
  message: MessageBytes,
  log: Logger,
  what: string,
): Promise<void> {
  try {
    const outcome = await transmit(link, { sender, recipients: [{ address: sender }], message });
    if (outcome.kind === 'sent') log.info({ what }, 'error mail sent to the sender');
    else log.warn({ what, reply: formatSmtpReply(outcome.reply) }, 'Fachdienst refused the error mail');
  } catch (error) {
    if (error instanceof UpstreamError) link.drop();
    log.warn({ err: error, what }, 'error mail could not be sent');
  }
}
