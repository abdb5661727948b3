/** CMS Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue }. */
import { decodeOid, expectTag, TagClass, UniversalTag } from './ber.js';
import type { BerReader, Tlv } from './ber.js';
import { oid, sequence, setOf } from './der.js';
import { formatError } from './errors.js';

export interface ReadAttribute {
  readonly type: string;
  readonly values: readonly Tlv[];
}

/** Encodes one attribute; the SET OF values is DER-sorted, as signed attributes require. */
export function encodeAttribute(type: string, values: readonly Buffer[]): Buffer {
  return sequence(oid(type), setOf(values));
}

/** The attributes of a `SET OF Attribute` (whatever its tag: signedAttrs is `[0] IMPLICIT`). */
export function readAttributes(reader: BerReader, set: Tlv, what: string): ReadAttribute[] {
  return reader.children(set).map((attribute) => readAttribute(reader, attribute, what));
}

export function readAttribute(reader: BerReader, attribute: Tlv, what: string): ReadAttribute {
  expectTag(attribute, TagClass.universal, UniversalTag.sequence, what, true);
  const [type, values, extra] = reader.children(attribute);
  if (type === undefined || values === undefined || extra !== undefined)
    throw formatError(`${what}: malformed Attribute`);
  expectTag(type, TagClass.universal, UniversalTag.oid, what, false);
  expectTag(values, TagClass.universal, UniversalTag.set, what, true);
  return { type: decodeOid(reader.content(type)), values: reader.children(values) };
}

/** The only attribute of a type; throws FORMAT when it occurs more than once or with other than one value. */
export function singleValued(
  attributes: readonly ReadAttribute[],
  type: string,
  what: string,
): Tlv | undefined {
  const found = attributes.filter((a) => a.type === type);
  if (found.length === 0) return undefined;
  const [value, extra] = found[0]?.values ?? [];
  if (found.length > 1 || value === undefined || extra !== undefined) {
    throw formatError(`${what} must occur once with one value`);
  }
  return value;
}
