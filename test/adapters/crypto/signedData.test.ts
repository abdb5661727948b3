import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSignedData,
  createSignedDataFrame,
  recipientEmailFor,
  verifySignedData,
} from '../../../adapters/crypto/index.js';
import type { RecipientEmail } from '../../../adapters/crypto/index.js';
import { concat, createTestPki, flipped, openssl, pssSigner, writeIn } from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';

// Step 1 of kim-domain §6.1, with lone CR, LF, NUL and 8-bit bytes that a text-mode tool would mangle.
const CONTENT = Buffer.concat([
  Buffer.from('Content-Type: message/rfc822\r\n\r\nFrom: a@x.kim.telematik\r\nSubject: Befund\r\n\r\n'),
  Buffer.from([0x0d, 0x41, 0x0a, 0x00, 0xff, 0xfe, 0x0d, 0x0a]),
]);

let pki: TestPki;
let signer: TestIdentity;
let other: TestIdentity;
let recipientEmails: RecipientEmail[];
let ours: Buffer;
let oursPath: string;
const SIGNING_TIME = new Date('2026-05-04T03:02:01Z');

function write(name: string, data: Uint8Array | string): Promise<string> {
  return writeIn(pki.dir, name, data);
}

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue('praxis-osig', { usage: 'signing', serial: '0x0a0b0c' });
  other = await pki.issue('other-osig', { usage: 'signing' });
  const [senderEnc, aliceEnc, bobEnc] = await Promise.all([
    pki.issue('sender-enc'),
    pki.issue('alice-enc', { serial: '0x80' }),
    pki.issue('bob-enc'),
  ]);
  recipientEmails = [
    recipientEmailFor(senderEnc.certificate, 'praxis@a.kim.telematik'),
    recipientEmailFor(aliceEnc.certificate, 'alice@b.kim.telematik'),
    recipientEmailFor(bobEnc.certificate, 'bob.with.a.longer.address@c.kim.telematik'),
  ];
  ours = concat(
    await createSignedData({
      content: [CONTENT.subarray(0, 10), CONTENT.subarray(10)],
      signer: pssSigner(signer),
      recipientEmails,
      signingTime: SIGNING_TIME,
    }),
  );
  oursPath = await write('ours.der', ours);
});
afterAll(() => pki.cleanup());

describe('createSignedData, read by OpenSSL', () => {
  it('is verified by openssl cms -verify against the CA and outputs exactly our content', () => {
    const result = openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      oursPath,
      '-CAfile',
      pki.caPath,
    ]);
    expect(result.stderr).toContain('Verification successful');
    expect(result.code).toBe(0);
    expect(result.stdout.equals(CONTENT)).toBe(true);
  });

  it('is verified with -noverify (signature only)', () => {
    const result = openssl(['cms', '-verify', '-noverify', '-binary', '-inform', 'DER', '-in', oursPath]);
    expect(result.code).toBe(0);
    expect(result.stdout.equals(CONTENT)).toBe(true);
  });

  it('shows the profile signed attributes in openssl cms -cmsout -print', () => {
    const result = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', oursPath]);
    expect(result.code).toBe(0);
    const text = result.stdout.toString('utf8');
    for (const attribute of [
      'contentType (1.2.840.113549.1.9.3)',
      'signingTime (1.2.840.113549.1.9.5)',
      'messageDigest (1.2.840.113549.1.9.4)',
      '(1.2.840.113549.1.9.52)',
      'id-smime-aa-signingCertificateV2 (1.2.840.113549.1.9.16.2.47)',
      '(1.2.276.0.76.4.173)',
    ]) {
      expect(text).toContain(attribute);
    }
    expect(text).toContain('UTCTIME:May  4 03:02:01 2026 GMT');
    expect(text).toContain('IA5STRING         :alice@b.kim.telematik');
    expect(text).toMatch(/crls:\s+<ABSENT>/);
    expect(text).toMatch(/unsignedAttrs:\s+<ABSENT>/);
  });

  it('is DER (openssl re-encodes it to the same bytes)', () => {
    const result = openssl(['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER', '-in', oursPath]);
    expect(result.code).toBe(0);
    expect(result.stdout.equals(ours)).toBe(true);
  });
});

describe('createSignedData structure (kim-domain §6.5)', () => {
  const parse = (): SignedData => {
    const info = AsnConvert.parse(ours, ContentInfo);
    expect(info.contentType).toBe('1.2.840.113549.1.7.2');
    return AsnConvert.parse(info.content, SignedData);
  };

  it('has version 1, sha256, exactly the signer certificate, no crls, one SignerInfo without unsigned attrs', () => {
    const signed = parse();
    expect(signed.version).toBe(1);
    expect(signed.digestAlgorithms.map((a) => a.algorithm)).toEqual(['2.16.840.1.101.3.4.2.1']);
    expect(signed.encapContentInfo.eContentType).toBe('1.2.840.113549.1.7.1');
    expect(signed.certificates).toHaveLength(1);
    expect(
      Buffer.from(AsnConvert.serialize(signed.certificates?.[0]?.certificate)).equals(signer.certificate),
    ).toBe(true);
    expect(signed.crls).toBeUndefined();
    expect(signed.signerInfos).toHaveLength(1);
    const info = signed.signerInfos[0]!;
    expect(info.version).toBe(1);
    expect(info.sid.issuerAndSerialNumber).toBeDefined();
    expect(info.digestAlgorithm.algorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(info.signatureAlgorithm.algorithm).toBe('1.2.840.113549.1.1.10');
    expect(info.unsignedAttrs).toBeUndefined();
    expect(info.signature.byteLength).toBe(256);
    expect(info.signedAttrs?.map((a) => a.attrType).sort()).toEqual(
      [
        '1.2.840.113549.1.9.3',
        '1.2.840.113549.1.9.5',
        '1.2.840.113549.1.9.4',
        '1.2.840.113549.1.9.52',
        '1.2.840.113549.1.9.16.2.47',
        '1.2.276.0.76.4.173',
      ].sort(),
    );
  });

  it('signs with RSASSA-PSS { sha256, mgf1(sha256), salt 32 } and protects the algorithms', () => {
    const pss =
      '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120';
    const hex = ours.toString('hex');
    // signatureAlgorithm of the SignerInfo, and the same inside CMSAlgorithmProtection as [1] IMPLICIT.
    expect(hex).toContain(`304106092a864886f70d01010a${pss}`);
    expect(hex).toContain(`3050300b0609608648016503040201a14106092a864886f70d01010a${pss}`);
  });

  it('puts the signed attributes and the recipient-emails values in DER order', () => {
    const signed = parse();
    const attributes = signed.signerInfos[0]!.signedAttrs!;
    const encodings = attributes.map((a) => Buffer.from(AsnConvert.serialize(a)));
    expect(encodings).toEqual([...encodings].sort((a, b) => Buffer.compare(a, b)));

    const recipientEmailsAttribute = attributes.find((a) => a.attrType === '1.2.276.0.76.4.173')!;
    const values = recipientEmailsAttribute.attrValues.map((v) => Buffer.from(v));
    expect(values).toHaveLength(3);
    expect(values).toEqual([...values].sort((a, b) => Buffer.compare(a, b)));
    // The values are the RecipientEmail SEQUENCEs themselves (not one nested SET).
    for (const value of values) {
      const parsed = asn1js.fromBER(value).result as asn1js.Sequence;
      expect(parsed).toBeInstanceOf(asn1js.Sequence);
      expect(parsed.valueBlock.value[0]).toBeInstanceOf(asn1js.IA5String);
    }
  });
});

describe('createSignedDataFrame (content streamed, not held)', () => {
  const digest = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

  it('frames the content so that prefix + content + suffix is what createSignedData writes', async () => {
    const frame = await createSignedDataFrame({
      contentLength: CONTENT.length,
      contentDigest: digest(CONTENT),
      signer: pssSigner(signer),
      recipientEmails,
      signingTime: SIGNING_TIME,
    });
    const framed = concat([frame.prefix, CONTENT, frame.suffix]);
    // PSS signatures are randomised: everything but the last 256 bytes (the signature) is equal.
    expect(framed.length).toBe(ours.length);
    expect(framed.subarray(0, -256).equals(ours.subarray(0, -256))).toBe(true);
    const result = verifySignedData(framed);
    expect(result.valid && concat(result.content).equals(CONTENT)).toBe(true);
    const path = await write('framed.der', framed);
    const verified = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', path, '-noverify']);
    expect(verified.stdout.equals(CONTENT)).toBe(true);
  });

  it('is refused by verifiers when the content does not match the digest it was framed with', async () => {
    const frame = await createSignedDataFrame({
      contentLength: CONTENT.length,
      contentDigest: digest(Buffer.from(CONTENT).fill(0x41, 40, 41)),
      signer: pssSigner(signer),
      recipientEmails,
    });
    const result = verifySignedData(concat([frame.prefix, CONTENT, frame.suffix]));
    expect(result).toMatchObject({ valid: false, code: 'DIGEST_MISMATCH' });
  });

  it('refuses a length that is no byte count and a digest that is no SHA-256', async () => {
    const options = { signer: pssSigner(signer), recipientEmails };
    await expect(
      createSignedDataFrame({ ...options, contentLength: -1, contentDigest: digest(CONTENT) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      createSignedDataFrame({ ...options, contentLength: 1, contentDigest: Buffer.alloc(20) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('createSignedData refuses', () => {
  it('a signer whose signature does not verify with its certificate (wrong card)', async () => {
    const wrongCard = { ...pssSigner(other), certificate: signer.certificate };
    await expect(
      createSignedData({ content: [CONTENT], signer: wrongCard, recipientEmails }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('verifySignedData', () => {
  it('accepts our SignedData with content, signer certificate, signing time and recipient-emails', () => {
    const result = verifySignedData(ours);
    if (!result.valid) throw new Error(`${result.code}: ${result.reason}`);
    expect(concat(result.content).equals(CONTENT)).toBe(true);
    expect(result.signerCertificate.equals(signer.certificate)).toBe(true);
    expect(result.signatureScheme).toBe('RSASSA-PSS');
    expect(result.signingTime).toEqual(SIGNING_TIME);
    expect(result.recipientEmails?.map((e) => e.email).sort()).toEqual(
      recipientEmails.map((e) => e.email).sort(),
    );
  });

  it('returns the content as a view of the input, not a copy', () => {
    const result = verifySignedData(ours);
    if (!result.valid) throw new Error(result.code);
    expect(result.content).toHaveLength(1);
    expect(result.content[0]!.buffer).toBe(ours.buffer);
  });

  it.each([
    ['RSASSA-PSS', ['-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32'], 'RSASSA-PSS'],
    ['PKCS#1 v1.5 (OpenSSL default)', [], 'RSASSA-PKCS1-v1_5'],
  ])('verifies what openssl cms -sign produces with %s', async (_name, keyopts, scheme) => {
    const input = await write('plain.bin', CONTENT);
    const result = openssl([
      'cms',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      ...keyopts,
      '-nodetach',
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    const verified = verifySignedData(result.stdout);
    if (!verified.valid) throw new Error(`${verified.code}: ${verified.reason}`);
    expect(verified.signatureScheme).toBe(scheme);
    expect(concat(verified.content).equals(CONTENT)).toBe(true);
    expect(verified.signerCertificate.equals(signer.certificate)).toBe(true);
    expect(verified.recipientEmails).toBeUndefined();
  });

  it('verifies OpenSSL streaming BER (indefinite lengths, constructed eContent)', async () => {
    const big = Buffer.alloc(100_000, 'KIM ');
    const input = await write('big.bin', big);
    const result = openssl([
      'cms',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      '-nodetach',
      '-binary',
      '-stream',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.subarray(0, 2).toString('hex')).toBe('3080');
    const verified = verifySignedData(result.stdout);
    if (!verified.valid) throw new Error(`${verified.code}: ${verified.reason}`);
    expect(concat(verified.content).equals(big)).toBe(true);
  });

  it('verifies a signer identified by subjectKeyIdentifier (openssl -keyid)', async () => {
    const input = await write('plain.bin', CONTENT);
    const result = openssl([
      'cms',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      '-keyid',
      '-nodetach',
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    expect(verifySignedData(result.stdout).valid).toBe(true);
  });
});

describe('verifySignedData on tampered or broken input', () => {
  it('reports DIGEST_MISMATCH when a content byte was changed', () => {
    const at = ours.indexOf(CONTENT) + 40;
    expect(verifySignedData(flipped(ours, at))).toMatchObject({ valid: false, code: 'DIGEST_MISMATCH' });
  });

  it('reports BAD_SIGNATURE when a signature byte was changed', () => {
    // The signature is the last field of the last structure.
    expect(verifySignedData(flipped(ours, ours.length - 1))).toMatchObject({
      valid: false,
      code: 'BAD_SIGNATURE',
    });
  });

  it('reports BAD_SIGNATURE when a signed attribute was changed (signing time)', () => {
    const at = ours.indexOf(Buffer.from('260504030201Z')) + 3;
    expect(verifySignedData(flipped(ours, at))).toMatchObject({ valid: false, code: 'BAD_SIGNATURE' });
  });

  it('reports BAD_SIGNATURE when the unsigned signatureAlgorithm contradicts CMSAlgorithmProtection', () => {
    // Salt length 32 → 33 in the SignerInfo's own signatureAlgorithm (the last occurrence).
    const at = ours.lastIndexOf(Buffer.from('a203020120', 'hex')) + 4;
    expect(verifySignedData(flipped(ours, at))).toMatchObject({ valid: false, code: 'BAD_SIGNATURE' });
  });

  it('reports SIGNER_CERTIFICATE when the included certificate is not the signer', async () => {
    const input = await write('plain.bin', CONTENT);
    // Sign with `signer`, but put only `other` in certificates.
    const result = openssl([
      'cms',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      '-nocerts',
      '-certfile',
      other.certPath,
      '-nodetach',
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    expect(verifySignedData(result.stdout)).toMatchObject({ valid: false, code: 'SIGNER_CERTIFICATE' });
  });

  it('reports SIGNER_CERTIFICATE when the certificate was swapped for a re-issued one (signingCertificateV2)', async () => {
    // Same key, issuer, serial and length, other validity: the signature alone would still verify.
    const twin = await pki.issue('praxis-osig', {
      usage: 'signing',
      serial: '0x0a0b0c',
      keyOf: signer,
      days: 11,
    });
    expect(twin.certificate.length).toBe(signer.certificate.length);
    expect(twin.certificate.equals(signer.certificate)).toBe(false);
    const swapped = Buffer.from(ours);
    twin.certificate.copy(swapped, ours.indexOf(signer.certificate));
    expect(verifySignedData(swapped)).toMatchObject({ valid: false, code: 'SIGNER_CERTIFICATE' });
  });

  it('reports MISSING for a SignedData without SignerInfo', () => {
    // A certs-only SignedData (degenerate PKCS#7) as openssl crl2pkcs7 writes it.
    const certsOnly = openssl(['crl2pkcs7', '-nocrl', '-certfile', signer.certPath, '-outform', 'DER']);
    expect(certsOnly.code).toBe(0);
    expect(verifySignedData(certsOnly.stdout)).toMatchObject({ valid: false, code: 'MISSING' });
    // With content but an empty signerInfos SET.
    const tlv = (tag: number, body: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from(
          body.length < 128 ? [tag, body.length] : [tag, 0x82, body.length >> 8, body.length & 0xff],
        ),
        body,
      ]);
    const signedData = tlv(
      0x30,
      Buffer.concat([
        Buffer.from('020101', 'hex'),
        Buffer.from('310d300b0609608648016503040201', 'hex'),
        tlv(
          0x30,
          Buffer.concat([Buffer.from('06092a864886f70d010701', 'hex'), tlv(0xa0, tlv(0x04, CONTENT))]),
        ),
        Buffer.from('3100', 'hex'),
      ]),
    );
    const unsigned = tlv(
      0x30,
      Buffer.concat([Buffer.from('06092a864886f70d010702', 'hex'), tlv(0xa0, signedData)]),
    );
    expect(verifySignedData(unsigned)).toMatchObject({ valid: false, code: 'MISSING' });
  });

  it('reports FORMAT for a detached signature (the profile is opaque)', async () => {
    const input = await write('plain.bin', CONTENT);
    const result = openssl([
      'cms',
      '-sign',
      '-md',
      'sha256',
      '-signer',
      signer.certPath,
      '-inkey',
      signer.keyPath,
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    expect(verifySignedData(result.stdout)).toMatchObject({ valid: false, code: 'FORMAT' });
  });

  it('reports FORMAT for every truncation of the message, never throwing', () => {
    for (let length = 0; length < ours.length; length++) {
      const result = verifySignedData(ours.subarray(0, length));
      expect(result.valid, `length ${length}`).toBe(false);
      if (!result.valid) expect(result.code, `length ${length}`).toBe('FORMAT');
    }
  });

  it('reports FORMAT for garbage, other content types and trailing junk', () => {
    expect(verifySignedData(Buffer.from('not a cms message at all'))).toMatchObject({ code: 'FORMAT' });
    expect(verifySignedData(Buffer.alloc(0))).toMatchObject({ code: 'FORMAT' });
    expect(verifySignedData(Buffer.concat([ours, Buffer.from('x')]))).toMatchObject({ code: 'FORMAT' });
    // Trailing line ends, as MIME leaves them, are fine.
    expect(verifySignedData(Buffer.concat([ours, Buffer.from('\r\n')])).valid).toBe(true);
  });
});
