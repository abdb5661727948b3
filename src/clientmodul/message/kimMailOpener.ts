/** The POP3 proxy's message pipeline (kim-domain §7.3–§7.5): openKimMessage with configured keys. */
import type { Konnektor } from '../../../adapters/konnektor/index.js';
import type { Logger } from '../../logging/logger.js';
import type { IncomingMailProcessor, MessageBytes, OpenRequest } from '../ports.js';
import { openKimMessage } from './openKimMessage.js';

export interface KimMailOpenerDeps {
  readonly konnektor: Konnektor;
  /** CA certificates (DER) that issue card certificates; absent: paths not checked (07). */
  readonly trustAnchors?: readonly Buffer[];
  readonly now?: () => Date;
  readonly log?: Logger;
}

/**
 * An unreachable Konnektor yields the 03/4011 error mail with the encrypted original attached
 * (KOM-LE-A_2046), as the specification wants, rather than an -ERR: the user can forward the
 * attachment to their own address once the Konnektor is back.
 */
export class KimMailOpener implements IncomingMailProcessor {
  readonly #deps: KimMailOpenerDeps;

  constructor(deps: KimMailOpenerDeps) {
    this.#deps = deps;
  }

  async open(request: OpenRequest): Promise<MessageBytes> {
    const opened = await openKimMessage({
      message: request.message,
      ownAddress: request.ownAddress,
      konnektor: this.#deps.konnektor,
      ...(this.#deps.trustAnchors === undefined ? {} : { trustAnchors: this.#deps.trustAnchors }),
      now: this.#deps.now?.() ?? new Date(),
    });
    this.#deps.log?.info(
      {
        decryptionResult: opened.decryptionResult,
        integrityCheckResult: opened.integrityCheckResult,
        errorCodes: opened.errorCodes,
        reason: opened.reason,
      },
      'message opened',
    );
    return opened.mail;
  }
}
