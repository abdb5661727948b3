/**
 * What the SMTP and POP3 proxies need from the KIM message pipeline. The proxies speak the
 * protocols; these ports turn a client mail into a KIM message and back (kim-domain §6, §7).
 */

/** A message as a list of chunks, in order; never flattened just to pass it on. */
export type MessageBytes = readonly Buffer[];

export interface SealRequest {
  /** The client mail exactly as received in DATA (CRLF line ends, dot-unstuffed). */
  readonly mail: MessageBytes;
  /** The authenticated sender address (MAIL FROM). */
  readonly sender: string;
  /** The RCPT TO addresses in order, original spelling. */
  readonly recipients: readonly string[];
  /** The account's maximum mail size in bytes (`getLimits`), when known. */
  readonly maxMailSize?: number;
}

export interface RemovedRecipient {
  readonly address: string;
  /** `X-KIM-Fehlermeldung` code, e.g. `4004` (no usable certificate), `4005`. */
  readonly code: string;
  readonly reason: string;
}

export type SealResult =
  | {
      readonly kind: 'sealed';
      /** The outer KIM message to submit upstream. */
      readonly message: MessageBytes;
      /** The recipients to replay as RCPT TO (those that could be encrypted for). */
      readonly recipients: readonly string[];
      /** Recipients dropped; the proxy sends `errorMail` to the sender after the submission. */
      readonly removed: readonly RemovedRecipient[];
      /** Unsigned error mail to the sender (send-to-self) listing `removed`; absent when none. */
      readonly errorMail?: MessageBytes;
    }
  | {
      readonly kind: 'refused';
      /** The SMTP reply for the client: 451 (cannot sign/encrypt, nobody left), 553, 552. */
      readonly code: 451 | 552 | 553 | 554;
      readonly enhanced: string;
      readonly text: string;
    };

export interface OutgoingMailProcessor {
  seal(request: SealRequest): Promise<SealResult>;
}

export interface OpenRequest {
  /** The message as the Fachdienst delivered it in RETR (dot-unstuffed, CRLF). */
  readonly message: MessageBytes;
  /** The POP3 account address (chooses the own key via recipient-emails). */
  readonly ownAddress: string;
}

export interface IncomingMailProcessor {
  /**
   * The mail for the client system: passed through unchanged when it is no KIM message,
   * otherwise decrypted and verified with result headers, or an error mail with the received
   * message attached (kim-domain §7.3–7.5; an unreachable Konnektor is DecryptionResult 03).
   * Throws only on a bug; the POP3 proxy then answers `-ERR` and the client may retry.
   */
  open(request: OpenRequest): Promise<MessageBytes>;
}
