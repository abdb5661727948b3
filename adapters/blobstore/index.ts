export * from './port.js';
export { FsBlobStore } from './fs.js';
export { isBlobRef, assertBlobRef } from './ref.js';
