export * from './port.js';
export { FsBlobStore } from './fs.js';
export { isBlobRef, assertBlobRef } from './ref.js';
export { TieredBlobStore, DEFAULT_SMALL_BLOB_LIMIT } from './tiered.js';
export type { TieredBlobStoreOptions } from './tiered.js';
