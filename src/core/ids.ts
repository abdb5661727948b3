import { createHash } from 'node:crypto';

/** Namespace of all deterministic ids of this project (a fixed random UUID). */
export const KIM_NAMESPACE = '5b1c7e52-4f0a-4d7c-9a8e-2f6d3c1b9e47';

/**
 * RFC 4122 version-5 UUID (SHA-1 of namespace + name). The same name always gives the same id,
 * which makes event ids idempotency keys: a retried command appends the same ids and the store
 * treats the second append as a no-op.
 */
export function uuidv5(name: string, namespace: string = KIM_NAMESPACE): string {
  const ns = namespace === KIM_NAMESPACE ? KIM_NAMESPACE_BYTES : namespaceBytes(namespace);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function namespaceBytes(namespace: string): Buffer {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`invalid namespace uuid '${namespace}'`);
  return ns;
}

/** Every event id is derived in this namespace: parse it once. */
const KIM_NAMESPACE_BYTES = namespaceBytes(KIM_NAMESPACE);
