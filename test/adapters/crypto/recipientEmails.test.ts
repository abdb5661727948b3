import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRecipientEmailsAttribute,
  encodeRecipientEmailsAttribute,
  issuerAndSerialOf,
  recipientEmailFor,
  ridsForEmail,
  sameRecipientEmails,
} from '../../../adapters/crypto/index.js';
import type { RecipientEmail } from '../../../adapters/crypto/index.js';
import { createTestPki, openssl } from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';

let pki: TestPki;
let alice: TestIdentity;
let aliceNew: TestIdentity;
let bob: TestIdentity;
let entries: RecipientEmail[];

beforeAll(async () => {
  pki = await createTestPki();
  [alice, aliceNew, bob] = await Promise.all([
    pki.issue('alice-enc', { serial: '0x8001' }),
    pki.issue('alice-enc-renewed', { serial: '0x01' }),
    pki.issue('bob-enc'),
  ]);
  entries = [
    recipientEmailFor(bob.certificate, 'bob@praxis-mit-langem-namen.kim.telematik'),
    recipientEmailFor(alice.certificate, 'Alice@b.kim.telematik'),
    recipientEmailFor(aliceNew.certificate, 'Alice@b.kim.telematik'),
  ];
});
afterAll(() => pki.cleanup());

describe('recipientEmailFor', () => {
  it('copies issuer and serial byte for byte from the certificate', () => {
    const entry = recipientEmailFor(alice.certificate, 'alice@b.kim.telematik');
    const cert = AsnConvert.parse(alice.certificate, Certificate);
    const issuer = Buffer.from(AsnConvert.serialize(cert.tbsCertificate.issuer));
    expect(entry.rid.issuer.equals(issuer)).toBe(true);
    // The issuer is found verbatim inside the certificate (not re-encoded, RDN order kept).
    expect(alice.certificate.indexOf(entry.rid.issuer)).toBeGreaterThan(0);
    // Serial 0x8001 needs a leading zero octet to stay positive, exactly as in the certificate.
    expect(entry.rid.serialNumber.toString('hex')).toBe('008001');
    expect(openssl(['x509', '-noout', '-serial', '-in', alice.certPath]).stdout.toString().trim()).toBe(
      'serial=8001',
    );
    expect(entry.email).toBe('alice@b.kim.telematik');
  });

  it('rejects addresses that are not IA5 and input that is not a certificate', () => {
    expect(() => recipientEmailFor(alice.certificate, 'jürgen@b.kim.telematik')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => recipientEmailFor(alice.certificate, '')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => recipientEmailFor(Buffer.from('3000', 'hex'), 'a@b.kim.telematik')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('the recipient-emails attribute', () => {
  it('is SEQUENCE { 1.2.276.0.76.4.173, SET { RecipientEmail… } } with the SEQUENCEs as direct values', async () => {
    const attribute = encodeRecipientEmailsAttribute(entries);
    const path = join(pki.dir, 'attribute.der');
    await writeFile(path, attribute);
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', path, '-i']);
    expect(parsed.code).toBe(0);
    const lines = parsed.stdout.toString().split('\n');
    expect(lines[1]).toContain('OBJECT            :1.2.276.0.76.4.173');
    expect(lines[2]).toMatch(/d=1 .* SET/);
    const valueLines = lines.filter((line) => /d=2 .* cons:\s+SEQUENCE/.test(line));
    expect(valueLines).toHaveLength(3);
    expect(
      lines.filter((line) => line.includes('IA5STRING')).map((line) => line.split(':').pop()),
    ).toHaveLength(3);
  });

  it('sorts its values by their DER encoding', () => {
    const attribute = encodeRecipientEmailsAttribute(entries);
    const set = (asn1js.fromBER(attribute).result as asn1js.Sequence).valueBlock.value[1] as asn1js.Set;
    const values = set.valueBlock.value.map((v) => Buffer.from(v.toBER()));
    expect(values).toEqual([...values].sort((a, b) => Buffer.compare(a, b)));
    // The same whatever the input order.
    expect(encodeRecipientEmailsAttribute([...entries].reverse()).equals(attribute)).toBe(true);
  });

  it('decodes back to the same entries', () => {
    const decoded = decodeRecipientEmailsAttribute(encodeRecipientEmailsAttribute(entries));
    expect(sameRecipientEmails(decoded, entries)).toBe(true);
    expect(decoded.map((e) => e.email).sort()).toEqual(entries.map((e) => e.email).sort());
  });

  it('compares entry sets regardless of order, and notices a changed entry', () => {
    expect(sameRecipientEmails([...entries].reverse(), entries)).toBe(true);
    const changed = entries.map((e, i) => (i === 0 ? { ...e, email: 'mallory@m.kim.telematik' } : e));
    expect(sameRecipientEmails(changed, entries)).toBe(false);
    expect(sameRecipientEmails(entries.slice(1), entries)).toBe(false);
  });

  it('lists all certificates of an address, case-insensitively', () => {
    const rids = ridsForEmail(entries, 'alice@B.KIM.TELEMATIK');
    expect(rids).toEqual([issuerAndSerialOf(alice.certificate), issuerAndSerialOf(aliceNew.certificate)]);
    expect(ridsForEmail(entries, 'carol@b.kim.telematik')).toEqual([]);
  });
});
