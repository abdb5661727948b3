import { describe, expect, it } from 'vitest';
import { RSASSA_PSS_SHA256, signatureSchemeOf } from '../../../adapters/crypto/algorithms.js';
import { NULL, oid, sequence, smallInteger, Tag, tlv } from '../../../adapters/crypto/der.js';
import { Oid } from '../../../adapters/crypto/oids.js';

const sha = (name: 'sha1' | 'sha256' | 'sha512'): Buffer =>
  sequence(oid({ sha1: '1.3.14.3.2.26', sha256: Oid.sha256, sha512: Oid.sha512 }[name]), NULL);
const mgf1 = (hash: Buffer): Buffer => sequence(oid(Oid.mgf1), hash);
const pss = (...fields: Buffer[]) => ({ oid: Oid.rsassaPss, parameters: sequence(...fields) });

describe('signatureSchemeOf: RSASSA-PSS parameters (RFC 4055 §3.1)', () => {
  it('reads what we write: SHA-256, MGF1-SHA-256, salt 32', () => {
    const parameters = RSASSA_PSS_SHA256.subarray(2 + oid(Oid.rsassaPss).length);
    expect(signatureSchemeOf({ oid: Oid.rsassaPss, parameters }, 'sha256')).toEqual({
      kind: 'RSASSA-PSS',
      hash: 'sha256',
      saltLength: 32,
    });
  });

  it('applies the defaults of absent fields: salt 20, and SHA-1, which is refused', () => {
    const withHashes = [tlv(Tag.context(0), sha('sha512')), tlv(Tag.context(1), mgf1(sha('sha512')))];
    expect(signatureSchemeOf(pss(...withHashes), 'sha512')).toEqual({
      kind: 'RSASSA-PSS',
      hash: 'sha512',
      saltLength: 20,
    });
    expect(() => signatureSchemeOf(pss(), 'sha256')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_ALGORITHM' }),
    );
    // MGF1 defaults to SHA-1 too: a SHA-256 hash alone is a combination node:crypto cannot check.
    expect(() => signatureSchemeOf(pss(tlv(Tag.context(0), sha('sha256'))), 'sha256')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_ALGORITHM' }),
    );
  });

  it('refuses another trailer field, another mask function and malformed parameters', () => {
    const hashes = [tlv(Tag.context(0), sha('sha256')), tlv(Tag.context(1), mgf1(sha('sha256')))];
    const cases: [Buffer[], string][] = [
      [[...hashes, tlv(Tag.context(3), smallInteger(2))], 'UNSUPPORTED_ALGORITHM'],
      [[hashes[0]!, tlv(Tag.context(1), sequence(oid(Oid.sha256), sha('sha256')))], 'UNSUPPORTED_ALGORITHM'],
      [[hashes[1]!, hashes[0]!], 'FORMAT'], // out of order
      [[...hashes, tlv(Tag.context(2), tlv(Tag.octetString, Buffer.from([32])))], 'FORMAT'],
      [[...hashes, tlv(Tag.context(4), smallInteger(1))], 'FORMAT'],
    ];
    for (const [fields, code] of cases) {
      expect(() => signatureSchemeOf(pss(...fields), 'sha256')).toThrow(expect.objectContaining({ code }));
    }
  });
});
