/**
 * The KIM message pipeline of the Clientmodul (kim-domain §6, §7.2–§7.5): seal a client mail
 * into a KIM message, open a KIM message for the client system.
 */
export type { ClientmodulVersions } from './versions.js';
export { DEFAULT_VERSIONS } from './versions.js';

/**
 * Pure-ish layering of §6.1/§6.2 with explicit certificates: `sealKimMessage` over chunks in
 * memory (KimMailSealer), `sealKimMessageTo` from a ByteSource read twice to a sink (`kim smime seal`).
 */
export { sealKimMessage, sealKimMessageTo } from './sealKimMessage.js';
export type {
  KimRecipient,
  SealedKimMessage,
  SealedMessageSink,
  SealKimMessageInput,
  SealKimMessageStreamInput,
} from './sealKimMessage.js';

/**
 * The receive path of §7.3–§7.5 with explicit key access: `openKimMessage` over chunks in memory
 * (KimMailOpener), `openKimMessageFrom` decoding a ByteSource as it reads it (`kim smime open`).
 */
export { openKimMessage, openKimMessageFrom } from './openKimMessage.js';
export type { OpenedKimMessage, OpenKimMessageFromInput, OpenKimMessageInput } from './openKimMessage.js';

/** A message that can be read more than once: chunks in memory, or a file (the CLI's). */
export { bytesInMemory } from './byteSource.js';
export type { ByteSource } from './byteSource.js';

export { KimMailSealer } from './kimMailSealer.js';
export type { KimMailSealerDeps } from './kimMailSealer.js';
export { KimMailOpener } from './kimMailOpener.js';
export type { KimMailOpenerDeps } from './kimMailOpener.js';

export { KimMessageError } from './errors.js';
export type { KimMessageErrorCode } from './errors.js';
export type { DecryptionResult, IntegrityCheckResult } from './resultCodes.js';
