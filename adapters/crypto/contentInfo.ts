/** ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }. */
import { BerReader, decodeOid, expectTag, TagClass, UniversalTag } from './ber.js';
import type { BerLimits, Tlv } from './ber.js';
import { header, oid } from './der.js';
import { formatError } from './errors.js';

export interface ReadContentInfo {
  readonly reader: BerReader;
  readonly contentType: string;
  /** The element inside `[0]`. */
  readonly content: Tlv;
}

export function readContentInfo(
  bytes: Uint8Array,
  expectedType: string,
  limits?: BerLimits,
): ReadContentInfo {
  const reader = new BerReader(bytes, limits);
  const root = expectTag(reader.root(), TagClass.universal, UniversalTag.sequence, 'ContentInfo', true);
  const [type, explicit, extra] = reader.children(root);
  if (type === undefined || explicit === undefined || extra !== undefined)
    throw formatError('ContentInfo malformed');
  expectTag(type, TagClass.universal, UniversalTag.oid, 'ContentInfo.contentType', false);
  const contentType = decodeOid(reader.content(type));
  if (contentType !== expectedType)
    throw formatError(`content type ${contentType}, expected ${expectedType}`);
  expectTag(explicit, TagClass.context, 0, 'ContentInfo.content', true);
  const [content, more] = reader.children(explicit);
  if (content === undefined || more !== undefined) throw formatError('ContentInfo.content malformed');
  return { reader, contentType, content };
}

/** The DER prefix of a ContentInfo whose content encoding has `contentLength` bytes. */
export function contentInfoPrefix(contentType: string, contentLength: number): Buffer {
  const type = oid(contentType);
  const explicit = header(0xa0, contentLength);
  return Buffer.concat([header(0x30, type.length + explicit.length + contentLength), type, explicit]);
}
