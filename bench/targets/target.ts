/**
 * A mail server the mail benchmark runs against: our Fachdienst, or a peer (Postfix + Dovecot)
 * set up on the same machine with the same certificate, accounts and client, so the two can be
 * compared in one sitting instead of against figures taken on another day's machine.
 */
export interface MailTarget {
  readonly name: string;
  readonly ports: { readonly smtp: number; readonly pop3: number };
  /** The CA certificate (PEM) the client trusts; the server certificate is the same for every target. */
  readonly ca: string;
  /** Starts the server afresh (each scenario gets a fresh server, as in the baseline). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Milliseconds until every accepted message is retrievable (`expected`: messages per mailbox). */
  allDelivered(expected: ReadonlyMap<string, number>): Promise<number>;
  /** Starts a new peak-memory window (where the kernel allows). */
  resetPeak(): void;
  /** CPU seconds used so far by the server's processes, and their peak memory (null: not comparable). */
  usage(): { cpuSeconds: number; peakRssMb: number | null };
}
