import { constants, privateDecrypt } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerReader } from '../../../adapters/crypto/ber.js';
import {
  CmsError,
  createAuthEnvelopedData,
  createAuthEnvelopedDataEncryptor,
  decryptAuthEnvelopedData,
  issuerAndSerialOf,
  parseAuthEnvelopedData,
  sameRecipientEmails,
} from '../../../adapters/crypto/index.js';
import type { CmsErrorCode } from '../../../adapters/crypto/index.js';
import {
  concat,
  createTestPki,
  flipped,
  openssl,
  unwrapWith,
  writeIn,
} from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';

// Stands in for the signed entity of kim-domain §6.1 step 3: binary, 3.5 segments long.
const CONTENT = Buffer.concat([
  Buffer.from('MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\n'),
  Buffer.from(Array.from({ length: 3500 }, (_, i) => (i * 7) % 256)),
]);

const SENDER = 'praxis@a.kim.telematik';
const ALICE = 'alice@b.kim.telematik';
const BOB = 'Bob@c.kim.telematik';

let pki: TestPki;
let sender: TestIdentity;
let alice: TestIdentity;
let bob: TestIdentity;
let stranger: TestIdentity;

function write(name: string, data: Uint8Array | string): Promise<string> {
  return writeIn(pki.dir, name, data);
}

async function codeOf(promise: Promise<unknown>): Promise<CmsErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (error instanceof CmsError) return error.code;
    throw error;
  }
}

function encryptForAll(includeRecipientEmails = true): {
  message: Buffer;
  recipientEmails: ReturnType<typeof createAuthEnvelopedData>['recipientEmails'];
} {
  const created = createAuthEnvelopedData({
    content: [CONTENT.subarray(0, 1234), CONTENT.subarray(1234, 1240), CONTENT.subarray(1240)],
    recipients: [
      { certificate: alice.certificate, email: ALICE },
      { certificate: bob.certificate, email: BOB },
      { certificate: sender.certificate, email: SENDER },
    ],
    includeRecipientEmails,
  });
  return { message: concat(created.chunks), recipientEmails: created.recipientEmails };
}

beforeAll(async () => {
  pki = await createTestPki();
  [sender, alice, bob, stranger] = await Promise.all([
    pki.issue('sender-enc'),
    pki.issue('alice-enc', { serial: '0x80ff' }),
    pki.issue('bob-enc'),
    pki.issue('stranger-enc'),
  ]);
});
afterAll(() => pki.cleanup());

describe('createAuthEnvelopedData, read by OpenSSL', () => {
  it('is decrypted by openssl cms -decrypt (written without unauthAttrs) to exactly our content', async () => {
    const path = await write('ours.der', encryptForAll(false).message);
    for (const who of [alice, bob, sender]) {
      const result = openssl([
        'cms',
        '-decrypt',
        '-inform',
        'DER',
        '-in',
        path,
        '-recip',
        who.certPath,
        '-inkey',
        who.keyPath,
        '-binary',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.equals(CONTENT)).toBe(true);
    }
  });

  it('is the profile structure: OAEP-SHA256 key transport, AES-256-GCM, BER with 1000-byte segments', () => {
    const { message } = encryptForAll();
    const hex = message.toString('hex');
    // ContentInfo, [0] and AuthEnvelopedData with indefinite lengths, version 0.
    expect(hex.startsWith('3080060b2a864886f70d0109100117a0803080020100')).toBe(true);
    // rsaesOaep { [0] sha256 NULL, [1] mgf1(sha256 NULL) }, no pSourceFunc.
    const oaep =
      '303c06092a864886f70d010107302fa00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500';
    expect(hex.split(oaep)).toHaveLength(4);
    // id-data, id-aes256-GCM { nonce(12), ICVlen 16 }, encryptedContent [0] constructed indefinite.
    expect(hex).toMatch(
      /06092a864886f70d010701301e060960864801650304012e3011040c[0-9a-f]{24}020110a080048203e8/,
    );
    const parsed = parseAuthEnvelopedData(message);
    expect(parsed.contentLength).toBe(CONTENT.length);
    expect(parsed.recipients.map((r) => r.oaepSha256)).toEqual([true, true, true]);
    expect(parsed.recipients.map((r) => r.encryptedKey.length)).toEqual([256, 256, 256]);
  });

  it('uses a fresh content key and nonce for every message', () => {
    const a = parseAuthEnvelopedData(encryptForAll().message);
    const b = parseAuthEnvelopedData(encryptForAll().message);
    const keyA = privateDecrypt(
      { key: alice.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      a.recipients[0]!.encryptedKey,
    );
    const keyB = privateDecrypt(
      { key: alice.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      b.recipients[0]!.encryptedKey,
    );
    expect(keyA.equals(keyB)).toBe(false);
    expect(concat(a.decrypt(keyA)).equals(CONTENT)).toBe(true);
  });
});

describe('recipient-emails in unauthAttrs', () => {
  it('has one entry per RecipientInfo, the sender included, issuer bytes as in the certificate', () => {
    const { message, recipientEmails } = encryptForAll();
    const parsed = parseAuthEnvelopedData(message);
    expect(parsed.recipientEmails).toBeDefined();
    expect(sameRecipientEmails(parsed.recipientEmails!, recipientEmails)).toBe(true);
    expect(recipientEmails.map((e) => e.email)).toEqual([ALICE, BOB, SENDER]);
    for (const [i, who] of [alice, bob, sender].entries()) {
      const entry = recipientEmails[i]!;
      // Independent reference: asn1-x509's view of the certificate's issuer and serial.
      const cert = AsnConvert.parse(who.certificate, Certificate);
      expect(entry.rid.issuer.equals(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.issuer)))).toBe(
        true,
      );
      expect(entry.rid.serialNumber.equals(Buffer.from(cert.tbsCertificate.serialNumber))).toBe(true);
      expect(parsed.recipients[i]!.rid).toEqual(entry.rid);
    }
    expect(recipientEmails[0]!.rid.serialNumber.toString('hex')).toBe('0080ff');
  });

  it('is written as [2] IMPLICIT SET OF Attribute after the mac', () => {
    const { message } = encryptForAll();
    const mac = message.lastIndexOf(Buffer.from('000000000410', 'hex')); // EOCs, then the mac OCTET STRING
    const after = message.subarray(mac + 4 + 2 + 16);
    expect(after.subarray(0, 1).toString('hex')).toBe('a2');
    expect(after.toString('hex')).toContain('06082a8214004c04812d'); // 1.2.276.0.76.4.173 inside
  });

  it('can be left out for peers that cannot parse it', () => {
    expect(parseAuthEnvelopedData(encryptForAll(false).message).recipientEmails).toBeUndefined();
  });
});

describe('decryptAuthEnvelopedData', () => {
  const unwrap = (...who: TestIdentity[]) => unwrapWith(who, issuerAndSerialOf);

  it('lets each recipient and the sender decrypt with its own key, chosen by address', async () => {
    const { message } = encryptForAll();
    for (const [email, who] of [
      [ALICE, alice],
      [BOB.toLowerCase(), bob], // addresses compare case-insensitively
      [SENDER, sender],
    ] as const) {
      const result = await decryptAuthEnvelopedData(message, { ownEmail: email, unwrap: unwrap(who) });
      expect(concat(result.content).equals(CONTENT)).toBe(true);
      expect(result.recipient.rid).toEqual(issuerAndSerialOf(who.certificate));
    }
  });

  it('never tries another user’s RecipientInfo when the own address is listed', async () => {
    const { message } = encryptForAll();
    const tried: string[] = [];
    const card = unwrap(alice, bob);
    await decryptAuthEnvelopedData(message, {
      ownEmail: BOB,
      unwrap: (rid, key) => {
        tried.push(rid.serialNumber.toString('hex'));
        return card(rid, key);
      },
    });
    expect(tried).toEqual([issuerAndSerialOf(bob.certificate).serialNumber.toString('hex')]);
  });

  it('reports KEY_NOT_AVAILABLE when the own key is not on the card, NO_RECIPIENT_INFO for a stranger', async () => {
    const { message } = encryptForAll();
    expect(await codeOf(decryptAuthEnvelopedData(message, { ownEmail: ALICE, unwrap: unwrap(bob) }))).toBe(
      'KEY_NOT_AVAILABLE',
    );
    expect(
      await codeOf(
        decryptAuthEnvelopedData(message, { ownEmail: 'nobody@x.kim.telematik', unwrap: unwrap(stranger) }),
      ),
    ).toBe('NO_RECIPIENT_INFO');
  });

  it('falls back to trying every RecipientInfo when there is no recipient-emails attribute', async () => {
    const { message } = encryptForAll(false);
    const result = await decryptAuthEnvelopedData(message, { ownEmail: BOB, unwrap: unwrap(bob) });
    expect(concat(result.content).equals(CONTENT)).toBe(true);
  });

  it('decrypts what openssl cms -encrypt -aes-256-gcm with RSAES-OAEP-SHA256 produces', async () => {
    const input = await write('plain.bin', CONTENT);
    const result = openssl([
      'cms',
      '-encrypt',
      '-aes-256-gcm',
      '-recip',
      alice.certPath,
      '-keyopt',
      'rsa_padding_mode:oaep',
      '-keyopt',
      'rsa_oaep_md:sha256',
      '-keyopt',
      'rsa_mgf1_md:sha256',
      '-recip',
      bob.certPath,
      '-keyopt',
      'rsa_padding_mode:oaep',
      '-keyopt',
      'rsa_oaep_md:sha256',
      '-keyopt',
      'rsa_mgf1_md:sha256',
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    const decrypted = await decryptAuthEnvelopedData(result.stdout, { ownEmail: BOB, unwrap: unwrap(bob) });
    expect(concat(decrypted.content).equals(CONTENT)).toBe(true);
    expect(decrypted.recipientEmails).toBeUndefined();
    expect(parseAuthEnvelopedData(result.stdout).recipients.map((r) => r.oaepSha256)).toEqual([true, true]);
  });

  it('decrypts OpenSSL streaming BER output', async () => {
    const input = await write('plain.bin', CONTENT);
    const result = openssl([
      'cms',
      '-encrypt',
      '-aes-256-gcm',
      '-recip',
      alice.certPath,
      '-keyopt',
      'rsa_padding_mode:oaep',
      '-keyopt',
      'rsa_oaep_md:sha256',
      '-keyopt',
      'rsa_mgf1_md:sha256',
      '-stream',
      '-binary',
      '-outform',
      'DER',
      '-in',
      input,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.subarray(0, 2).toString('hex')).toBe('3080');
    const decrypted = await decryptAuthEnvelopedData(result.stdout, { unwrap: unwrap(alice) });
    expect(concat(decrypted.content).equals(CONTENT)).toBe(true);
  });

  it('offers no RecipientInfo for key transports a Konnektor cannot unwrap (PKCS#1 v1.5, OAEP-SHA1)', async () => {
    const input = await write('plain.bin', CONTENT);
    for (const keyopts of [[], ['-keyopt', 'rsa_padding_mode:oaep']]) {
      const result = openssl([
        'cms',
        '-encrypt',
        '-aes-256-gcm',
        '-recip',
        alice.certPath,
        ...keyopts,
        '-binary',
        '-outform',
        'DER',
        '-in',
        input,
      ]);
      expect(result.code).toBe(0);
      expect(parseAuthEnvelopedData(result.stdout).recipients[0]?.oaepSha256).toBe(false);
      expect(await codeOf(decryptAuthEnvelopedData(result.stdout, { unwrap: unwrap(alice) }))).toBe(
        'NO_RECIPIENT_INFO',
      );
    }
  });
});

describe('tampering and broken input', () => {
  const unwrap = (...who: TestIdentity[]) => unwrapWith(who, issuerAndSerialOf);

  it('rejects a flipped ciphertext byte with AUTHENTICATION_FAILED and returns no plaintext', async () => {
    const { message } = encryptForAll();
    const at = message.indexOf(Buffer.from('048203e8', 'hex')) + 4 + 500;
    const tampered = flipped(message, at);
    let returned: unknown;
    const code = await codeOf(
      decryptAuthEnvelopedData(tampered, { ownEmail: ALICE, unwrap: unwrap(alice) }).then((r) => {
        returned = r;
      }),
    );
    expect(code).toBe('AUTHENTICATION_FAILED');
    expect(returned).toBeUndefined();
  });

  it('rejects a flipped mac or nonce byte with AUTHENTICATION_FAILED', async () => {
    const { message } = encryptForAll(false);
    const nonce = message.indexOf(Buffer.from('3011040c', 'hex')) + 4;
    const mac = message.length - 6 - 16; // then only the three closing end-of-contents
    for (const at of [nonce, mac]) {
      expect(
        await codeOf(
          decryptAuthEnvelopedData(flipped(message, at), { ownEmail: ALICE, unwrap: unwrap(alice) }),
        ),
      ).toBe('AUTHENTICATION_FAILED');
    }
  });

  it('decrypt() throws AUTHENTICATION_FAILED for a wrong tag and KEY_UNWRAP_FAILED for a short key', () => {
    const { message } = encryptForAll();
    const parsed = parseAuthEnvelopedData(
      flipped(message, message.indexOf(Buffer.from('048203e8', 'hex')) + 4),
    );
    const key = privateDecrypt(
      { key: alice.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      parsed.recipients[0]!.encryptedKey,
    );
    expect(() => parsed.decrypt(key)).toThrow(expect.objectContaining({ code: 'AUTHENTICATION_FAILED' }));
    expect(() => parsed.decrypt(key.subarray(0, 16))).toThrow(
      expect.objectContaining({ code: 'KEY_UNWRAP_FAILED' }),
    );
  });

  it('reports KEY_UNWRAP_FAILED when the card cannot unwrap the own key', async () => {
    const { message } = encryptForAll();
    // A card that claims alice's certificate but holds bob's key: OAEP fails.
    const wrongCard = (_rid: unknown, encryptedKey: Buffer) =>
      unwrap(bob)(issuerAndSerialOf(bob.certificate), encryptedKey);
    expect(await codeOf(decryptAuthEnvelopedData(message, { ownEmail: ALICE, unwrap: wrongCard }))).toBe(
      'KEY_UNWRAP_FAILED',
    );
  });

  it('passes other unwrap errors (Konnektor unreachable) through unchanged', async () => {
    const { message } = encryptForAll();
    const down = new Error('ECONNREFUSED');
    await expect(
      decryptAuthEnvelopedData(message, { ownEmail: ALICE, unwrap: () => Promise.reject(down) }),
    ).rejects.toBe(down);
  });

  it('reports FORMAT for truncations, garbage and a SignedData in place of an AuthEnvelopedData', () => {
    const { message } = encryptForAll();
    for (let length = 0; length < message.length; length += 37) {
      expect(() => parseAuthEnvelopedData(message.subarray(0, length)), `length ${length}`).toThrow(
        expect.objectContaining({ code: 'FORMAT' }),
      );
    }
    expect(() => parseAuthEnvelopedData(Buffer.from('garbage'))).toThrow(
      expect.objectContaining({ code: 'FORMAT' }),
    );
    const signedDataLike = Buffer.from('3080' + '06092a864886f70d010702' + 'a0803000' + '00000000', 'hex');
    expect(() => parseAuthEnvelopedData(signedDataLike)).toThrow(expect.objectContaining({ code: 'FORMAT' }));
  });
});

/** The lengths of the primitive segments inside encryptedContent, in order. */
function segmentLengths(message: Buffer): number[] {
  const reader = new BerReader(message);
  const [, explicit] = reader.children(reader.root());
  const [envelope] = reader.children(explicit!);
  const [, , encryptedContentInfo] = reader.children(envelope!);
  const [, , encryptedContent] = reader.children(encryptedContentInfo!);
  return reader.children(encryptedContent!).map((segment) => segment.contentEnd - segment.contentStart);
}

describe('createAuthEnvelopedDataEncryptor (streaming)', () => {
  const unwrap = (...who: TestIdentity[]) => unwrapWith(who, issuerAndSerialOf);
  const content = Buffer.from(Array.from({ length: 300_123 }, (_, i) => (i * 31 + (i >> 8)) % 256));

  it('writes the same layout as the one-shot encoder, however the plaintext is cut', async () => {
    const cuts = [0, 1, 999, 1000, 1001, 1002, 5000, 262_144, 262_145, content.length];
    const encryptor = createAuthEnvelopedDataEncryptor({
      recipients: [{ certificate: alice.certificate, email: ALICE }],
    });
    const pieces = [encryptor.header];
    for (let i = 1; i < cuts.length; i++)
      pieces.push(...encryptor.update(content.subarray(cuts[i - 1], cuts[i])));
    pieces.push(...encryptor.final());
    const streamed = concat(pieces);
    const oneShot = concat(
      createAuthEnvelopedData({
        content: [content],
        recipients: [{ certificate: alice.certificate, email: ALICE }],
      }).chunks,
    );
    const expected = [...Array<number>(300).fill(1000), 123];
    expect(segmentLengths(streamed)).toEqual(expected);
    expect(segmentLengths(oneShot)).toEqual(expected);
    expect(streamed.length).toBe(oneShot.length);
    const opened = await decryptAuthEnvelopedData(streamed, { ownEmail: ALICE, unwrap: unwrap(alice) });
    expect(concat(opened.content).equals(content)).toBe(true);
  });

  it('writes no segment at all for an empty content, and one exact segment for 1000 bytes', () => {
    for (const [length, expected] of [
      [0, []],
      [1000, [1000]],
    ] as const) {
      const encryptor = createAuthEnvelopedDataEncryptor({
        recipients: [{ certificate: bob.certificate, email: BOB }],
      });
      const message = concat([
        encryptor.header,
        ...encryptor.update(content.subarray(0, length)),
        ...encryptor.final(),
      ]);
      expect(segmentLengths(message)).toEqual(expected);
    }
  });

  it('refuses to go on after final', () => {
    const encryptor = createAuthEnvelopedDataEncryptor({
      recipients: [{ certificate: bob.certificate, email: BOB }],
    });
    encryptor.final();
    expect(() => encryptor.update(content)).toThrow(/after final/);
  });
});

describe('decrypting in place', () => {
  const unwrap = (...who: TestIdentity[]) => unwrapWith(who, issuerAndSerialOf);

  it('returns the plaintext as a view of the input, whose ciphertext it replaced', async () => {
    const { message } = encryptForAll();
    const input = Buffer.from(message);
    const opened = await decryptAuthEnvelopedData(input, {
      ownEmail: ALICE,
      unwrap: unwrap(alice),
      inPlace: true,
    });
    const [plaintext] = opened.content;
    expect(plaintext?.equals(CONTENT)).toBe(true);
    expect(plaintext?.buffer).toBe(input.buffer);
    expect(input.includes(CONTENT.subarray(-3000))).toBe(true);
    // Without inPlace the input stays as it was.
    const copy = Buffer.from(message);
    await decryptAuthEnvelopedData(copy, { ownEmail: ALICE, unwrap: unwrap(alice) });
    expect(copy.equals(message)).toBe(true);
  });

  it('leaves no plaintext in the input when the tag does not verify', async () => {
    const { message } = encryptForAll();
    const at = message.indexOf(Buffer.from('048203e8', 'hex')) + 4 + 3000;
    const tampered = flipped(message, at);
    const code = await codeOf(
      decryptAuthEnvelopedData(tampered, { ownEmail: ALICE, unwrap: unwrap(alice), inPlace: true }),
    );
    expect(code).toBe('AUTHENTICATION_FAILED');
    // The binary part of CONTENT: any 16 bytes of it would show a released plaintext.
    for (let offset = CONTENT.length - 3500; offset + 16 <= CONTENT.length; offset += 16) {
      expect(tampered.includes(CONTENT.subarray(offset, offset + 16))).toBe(false);
    }
  });

  it('decrypts in place only once', () => {
    const { message } = encryptForAll();
    const parsed = parseAuthEnvelopedData(message);
    const key = privateDecrypt(
      { key: alice.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      parsed.recipients[0]!.encryptedKey,
    );
    expect(concat(parsed.decrypt(key, { inPlace: true })).equals(CONTENT)).toBe(true);
    expect(() => parsed.decrypt(key)).toThrow(/in place already/);
  });
});
