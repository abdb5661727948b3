import { createHash, randomFillSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKimMessage, sealKimMessage } from '../../../src/clientmodul/message/index.js';
import { createTestCards, delivered } from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';

// Its own file, so its own worker process: the memory figures are not polluted by other tests.

const MiB = 1024 * 1024;
const ATTACHMENT = 25 * 1000 * 1000;

let world: TestCards;
let praxis: TestCard;
let klinik: TestCard;

beforeAll(async () => {
  world = await createTestCards([
    { address: 'praxis@a.kim.test', telematikId: '1-2.58.00000040', name: 'Praxis' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik' },
  ]);
  [praxis, klinik] = world.cards as [TestCard, TestCard];
});
afterAll(() => world?.cleanup());

function sha256(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * A client mail with a 25 MB attachment, base64 in 76-character lines, as ~80 KiB SMTP chunks;
 * built block by block so that building it leaves no peak of its own in the RSS figures.
 */
function clientMail(): Buffer[] {
  const head = Buffer.from(
    'From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\nSubject: Bildgebung\r\n' +
      'Message-ID: <mrt-1@a.kim.test>\r\nDate: Sat, 28 Nov 2026 18:00:00 +0100\r\n' +
      'X-KIM-Dienstkennung: Arztbrief;Bild;V1.0\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
      '--b\r\nContent-Type: text/plain\r\n\r\nAnbei die Aufnahmen.\r\n' +
      '--b\r\nContent-Type: application/dicom\r\nContent-Transfer-Encoding: base64\r\n\r\n',
  );
  const chunks = [head];
  const block = Buffer.allocUnsafe(57 * 1024);
  for (let left = ATTACHMENT; left > 0; left -= block.length) {
    const bytes = randomFillSync(block).subarray(0, Math.min(left, block.length));
    const lines = bytes.toString('base64').match(/.{1,76}/g) ?? [];
    chunks.push(Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));
  }
  chunks.push(Buffer.from('--b--\r\n'));
  return chunks;
}

describe('a mail with a 25 MB attachment', () => {
  it('is sealed and opened intact, with a bounded number of copies in memory', async () => {
    const mail = clientMail();
    const mailSize = mail.reduce((sum, c) => sum + c.length, 0);
    const rssBefore = process.memoryUsage().rss;
    const now = new Date();

    const sealed = await sealKimMessage({
      mail,
      konnektor: praxis.konnektor,
      senderAddress: praxis.address,
      recipients: [{ address: klinik.address, certificates: klinik.encryptionCertificates }],
      now,
    });
    const opened = await openKimMessage({
      message: delivered(sealed.message, praxis.address, klinik.address),
      ownAddress: klinik.address,
      konnektor: klinik.konnektor,
      trustAnchors: world.trustAnchors,
      now,
    });
    expect(opened).toMatchObject({ decryptionResult: '00', integrityCheckResult: '01', errorCodes: [] });

    const added =
      'X-KIM-CMVersion: OSKIM_0.1.0\r\nX-KIM-PTVersion: 1.5.3\r\n' +
      'X-KIM-KONVersion: <KIM Provider Stack software Konnektor><Konnektor><1.0.0><0.0.0><0.0.0>\r\n';
    const whole = Buffer.concat(mail);
    const headerEnd = whole.indexOf('\r\n\r\n') + 2;
    const resultFields = 'X-KIM-DecryptionResult: 00\r\nX-KIM-IntegrityCheckResult: 01\r\n';
    const trace = Buffer.concat(delivered([], praxis.address, klinik.address));
    const expected = [
      trace,
      Buffer.from(resultFields),
      whole.subarray(0, headerEnd),
      Buffer.from(added),
      whole.subarray(headerEnd),
    ];
    expect(sha256(opened.mail)).toBe(sha256(expected));

    // An upper bound: everything the process held at its peak beyond what it held before sealing.
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
    console.info(
      `${(mailSize / MiB).toFixed(0)} MiB client mail: RSS before ${(rssBefore / MiB).toFixed(0)} MiB, ` +
        `peak growth ≤ ${(peakGrowth / MiB).toFixed(0)} MiB`,
    );
    // Alive at the end: ciphertext, base64 message, decoded envelope, plaintext (inner mail views
    // into it): about 5 × the client mail. A hidden copy per step would show up beyond 8 ×.
    expect(peakGrowth).toBeLessThan(8 * mailSize);
  });
});
