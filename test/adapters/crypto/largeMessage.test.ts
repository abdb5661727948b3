import { createHash, randomFillSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthEnvelopedData,
  createSignedData,
  decryptAuthEnvelopedData,
  issuerAndSerialOf,
  recipientEmailFor,
  sameRecipientEmails,
  signedDataBytesFrom,
  verifySignedData,
} from '../../../adapters/crypto/index.js';
import { createTestPki, pssSigner, unwrapWith } from '../../support/crypto/testPki.js';
import type { TestIdentity, TestPki } from '../../support/crypto/testPki.js';

// Its own file, so its own worker process: the RSS figures are not polluted by other tests.

const MiB = 1024 * 1024;
const SIZE = 25 * 1000 * 1000;

let pki: TestPki;
let osig: TestIdentity;
let senderEnc: TestIdentity;
let recipientEnc: TestIdentity;

beforeAll(async () => {
  pki = await createTestPki();
  [osig, senderEnc, recipientEnc] = await Promise.all([
    pki.issue('sender-osig', { usage: 'signing' }),
    pki.issue('sender-enc'),
    pki.issue('recipient-enc'),
  ]);
});
afterAll(() => pki.cleanup());

function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** Sender side of kim-domain §6.1: wrap, sign, wrap, encrypt. Returns the AuthEnvelopedData as sent. */
async function seal(mail: Buffer): Promise<Buffer> {
  const recipients = [
    { certificate: recipientEnc.certificate, email: 'empfaenger@b.kim.telematik' },
    { certificate: senderEnc.certificate, email: 'praxis@a.kim.telematik' },
  ];
  const signed = await createSignedData({
    content: [Buffer.from('Content-Type: message/rfc822\r\n\r\n'), mail],
    signer: pssSigner(osig),
    recipientEmails: recipients.map((r) => recipientEmailFor(r.certificate, r.email)),
  });
  const entityHeader = Buffer.from(
    'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n' +
      'Content-Transfer-Encoding: binary\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n',
  );
  const { chunks } = createAuthEnvelopedData({ content: [entityHeader, ...signed], recipients });
  // What goes on the wire is one buffer in this test; a real sender would stream the chunks.
  return Buffer.concat(chunks);
}

describe('a 25 MB message', () => {
  it('survives sign, encrypt, decrypt and verify, beyond asn1js’ 16 MiB default limit', async () => {
    const mail = randomFillSync(Buffer.allocUnsafe(SIZE));
    const expected = sha256([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), mail]);
    const rssBefore = process.memoryUsage().rss;
    const peakBefore = process.resourceUsage().maxRSS * 1024;

    const message = await seal(mail);
    expect(message.length).toBeGreaterThan(SIZE);

    const opened = await decryptAuthEnvelopedData(message, {
      ownEmail: 'Empfaenger@b.kim.telematik',
      unwrap: unwrapWith([recipientEnc], issuerAndSerialOf),
    });
    expect(opened.content).toHaveLength(1);
    const verified = verifySignedData(signedDataBytesFrom(opened.content[0]!));
    if (!verified.valid) throw new Error(`${verified.code}: ${verified.reason}`);
    expect(sha256(verified.content)).toBe(expected);
    // The content is a view of the decrypted plaintext, not another 25 MB copy.
    expect(verified.content.every((chunk) => chunk.buffer === opened.content[0]!.buffer)).toBe(true);
    expect(sameRecipientEmails(verified.recipientEmails!, opened.recipientEmails!)).toBe(true);

    const peakGrowth = process.resourceUsage().maxRSS * 1024 - Math.max(rssBefore, peakBefore);
    console.info(
      `25 MB round trip: RSS before ${(rssBefore / MiB).toFixed(0)} MiB, ` +
        `peak growth ≥ ${(Math.max(0, peakGrowth) / MiB).toFixed(0)} MiB ` +
        `(ciphertext, wire copy and plaintext are alive at the end: 3 × 25 MB)`,
    );
    // Ciphertext, wire copy and plaintext are 3 × 25 MB beyond the mail; a fourth would be a hidden copy.
    expect(peakGrowth).toBeLessThan(4 * SIZE);
  });
});
