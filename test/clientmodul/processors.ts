/**
 * Test implementations of the message-pipeline ports: simple, visible transformations, so a
 * test can tell that (and how) the proxies applied them. The real seal/open lives in
 * src/clientmodul/message/.
 */
import type {
  IncomingMailProcessor,
  MessageBytes,
  OpenRequest,
  OutgoingMailProcessor,
  SealRequest,
  SealResult,
} from '../../src/clientmodul/ports.js';

export const SEALED_HEADER = 'X-Test-Sealed: yes\r\n';
export const OPENED_HEADER = 'X-Test-Opened: yes\r\n';

export type SealHandler = (request: SealRequest) => Promise<SealResult> | SealResult;
export type OpenHandler = (request: OpenRequest) => Promise<MessageBytes> | MessageBytes;

/** Prepends a header; every recipient stays. */
export const appendHeader: SealHandler = (request) => ({
  kind: 'sealed',
  message: [Buffer.from(SEALED_HEADER), ...request.mail],
  recipients: request.recipients,
  removed: [],
});

/** Passes the message through as it is. */
export const passThrough: SealHandler = (request) => ({
  kind: 'sealed',
  message: request.mail,
  recipients: request.recipients,
  removed: [],
});

export const refuse =
  (code: 451 | 552 | 553 | 554, enhanced: string, text: string): SealHandler =>
  () => ({ kind: 'refused', code, enhanced, text });

/** Drops `dropped` from the recipients and produces an error mail to the sender naming it. */
export const dropRecipient =
  (dropped: string): SealHandler =>
  (request) => {
    const recipients = request.recipients.filter((r) => r.toLowerCase() !== dropped.toLowerCase());
    const errorMail = [
      `From: <${request.sender}>`,
      `To: <${request.sender}>`,
      'Subject: removed recipients',
      'Date: Sat, 28 Nov 2026 17:34:56 +0000',
      'Message-ID: <removed.recipients@a.kim.test>',
      'X-KIM-Fehlermeldung: 4004',
      '',
      `No usable certificate for ${dropped}.`,
      '',
    ].join('\r\n');
    return {
      kind: 'sealed',
      message: [Buffer.from(SEALED_HEADER), ...request.mail],
      recipients,
      removed: [{ address: dropped, code: '4004', reason: 'no encryption certificate' }],
      errorMail: [Buffer.from(errorMail)],
    };
  };

export const sealThrows: SealHandler = () => {
  throw new Error('the Konnektor is not reachable');
};

/** Prepends a header on open. */
export const openWithHeader: OpenHandler = (request) => [Buffer.from(OPENED_HEADER), ...request.message];

export const openPassThrough: OpenHandler = (request) => request.message;

/** Throws for messages containing `marker`, opens the others with a header. */
export const openThrowsOn =
  (marker: string): OpenHandler =>
  (request) => {
    if (Buffer.concat(request.message).includes(marker)) throw new Error('the Konnektor is not reachable');
    return openWithHeader(request);
  };

/** An outgoing processor whose behaviour each test sets; it records what it was given. */
export class ScriptedOutgoing implements OutgoingMailProcessor {
  handler: SealHandler = appendHeader;
  readonly requests: SealRequest[] = [];

  async seal(request: SealRequest): Promise<SealResult> {
    this.requests.push(request);
    return this.handler(request);
  }
}

export class ScriptedIncoming implements IncomingMailProcessor {
  handler: OpenHandler = openWithHeader;
  readonly requests: OpenRequest[] = [];

  async open(request: OpenRequest): Promise<MessageBytes> {
    this.requests.push(request);
    return this.handler(request);
  }
}
