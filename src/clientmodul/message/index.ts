/**
 * The KIM message pipeline of the Clientmodul (kim-domain §6, §7.2–§7.5): seal a client mail
 * into a KIM message, open a KIM message for the client system.
 */
export type { ClientmodulVersions } from './versions.js';
export { DEFAULT_VERSIONS } from './versions.js';

/** Pure-ish layering of §6.1/§6.2 with explicit certificates (used by `kim smime seal` and KimMailSealer). */
export { sealKimMessage } from './sealKimMessage.js';
export type { KimRecipient, SealedKimMessage, SealKimMessageInput } from './sealKimMessage.js';

/** The receive path of §7.3–§7.5 with explicit key access (used by `kim smime open` and KimMailOpener). */
export { openKimMessage } from './openKimMessage.js';
export type { OpenedKimMessage, OpenKimMessageInput } from './openKimMessage.js';

export { KimMailSealer } from './kimMailSealer.js';
export type { KimMailSealerDeps } from './kimMailSealer.js';
export { KimMailOpener } from './kimMailOpener.js';
export type { KimMailOpenerDeps } from './kimMailOpener.js';

export { KimMessageError } from './errors.js';
export type { KimMessageErrorCode } from './errors.js';
export type { DecryptionResult, IntegrityCheckResult } from './resultCodes.js';
