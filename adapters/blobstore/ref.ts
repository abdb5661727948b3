import { InvalidBlobRefError } from './port.js';

const REF = /^[0-9a-f]{64}$/;

export function isBlobRef(value: unknown): value is string {
  return typeof value === 'string' && REF.test(value);
}

/** Every ref that reaches a path goes through here, so a ref can never be a path traversal. */
export function assertBlobRef(value: unknown): asserts value is string {
  if (!isBlobRef(value)) throw new InvalidBlobRefError(value);
}

/** `ab/cd` fan-out keeps directories small: 65536 leaves hold millions of blobs comfortably. */
export function fanOut(ref: string): [string, string] {
  return [ref.slice(0, 2), ref.slice(2, 4)];
}
