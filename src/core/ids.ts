import { hash } from 'node:crypto';

/** Namespace of all deterministic ids of this project (a fixed random UUID). */
export const KIM_NAMESPACE = '5b1c7e52-4f0a-4d7c-9a8e-2f6d3c1b9e47';

/**
 * RFC 4122 version-5 UUID (SHA-1 of namespace + name). The same name always gives the same id,
 * which makes event ids idempotency keys: a retried command appends the same ids and the store
 * treats the second append as a no-op.
 */
export function uuidv5(name: string, namespace: string = KIM_NAMESPACE): string {
  const ns = namespace === KIM_NAMESPACE ? KIM_NAMESPACE_BYTES : namespaceBytes(namespace);
  // One-shot hash into hex (no Hash object); then the version (5) and variant (10xx) bits.
  const hex = hash('sha1', Buffer.concat([ns, Buffer.from(name, 'utf8')]), 'hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-` +
    `${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  );
}

function namespaceBytes(namespace: string): Buffer {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`invalid namespace uuid '${namespace}'`);
  return ns;
}

/** Every event id is derived in this namespace: parse it once. */
const KIM_NAMESPACE_BYTES = namespaceBytes(KIM_NAMESPACE);
