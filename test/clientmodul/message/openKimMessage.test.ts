import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKimMessage, openKimMessageFrom } from '../../../src/clientmodul/message/openKimMessage.js';
import { sealKimMessage } from '../../../src/clientmodul/message/sealKimMessage.js';
import { scribblingSource } from './byteSources.js';
import { createTestCards, delivered, fieldValues, text } from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';

let world: TestCards;
let praxis: TestCard;
let klinik: TestCard;
let message: Buffer;
const now = new Date();

const MAIL = Buffer.from(
  'From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\nSubject: Befund\r\n' +
    'Date: Sat, 28 Nov 2026 18:00:00 +0100\r\nMessage-ID: <befund-8@a.kim.test>\r\n\r\n' +
    'Befund '.repeat(40_000),
  'latin1',
);

beforeAll(async () => {
  world = await createTestCards([
    { address: 'praxis@a.kim.test', telematikId: '1-2.58.00000040', name: 'Praxis' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik' },
  ]);
  [praxis, klinik] = world.cards as [TestCard, TestCard];
  const sealed = await sealKimMessage({
    mail: [MAIL],
    konnektor: praxis.konnektor,
    senderAddress: praxis.address,
    recipients: [{ address: klinik.address, certificates: klinik.encryptionCertificates }],
    now,
  });
  message = Buffer.concat(delivered(sealed.message, praxis.address, klinik.address));
});
afterAll(() => world?.cleanup());

const asKlinik = { ownAddress: 'klinik@b.kim.test', now };

describe('openKimMessageFrom', () => {
  it('decodes the message as it is read, in small reused pieces, and reads it only once', async () => {
    const source = scribblingSource(message, 777);
    const opened = await openKimMessageFrom({ ...asKlinik, message: source, konnektor: klinik.konnektor });
    expect(opened).toMatchObject({ decryptionResult: '00', integrityCheckResult: '07', errorCodes: [] });
    const whole = await openKimMessage({ ...asKlinik, message: [message], konnektor: klinik.konnektor });
    expect(text(opened.mail)).toBe(text(whole.mail));
    expect(text(opened.mail).endsWith(MAIL.subarray(-5000).toString('latin1'))).toBe(true);
    expect(source.readings).toEqual({ chunks: 1, all: 0 });
  });

  it('reads the original again for an error mail, and attaches it unchanged', async () => {
    const tampered = Buffer.from(message);
    const at = tampered.length - 2000;
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41; // one base64 character of the ciphertext
    const source = scribblingSource(tampered, 4096);
    const opened = await openKimMessageFrom({ ...asKlinik, message: source, konnektor: klinik.konnektor });
    expect(opened).toMatchObject({ decryptionResult: '02', errorCodes: ['4010'] });
    expect(fieldValues(opened.mail, 'X-KIM-DecryptionResult')).toEqual(['02']);
    expect(text(opened.mail)).toContain(tampered.toString('latin1'));
    expect(text(opened.mail)).not.toContain('Befund Befund');
    expect(source.readings).toEqual({ chunks: 1, all: 1 });
  });

  it('passes a mail without X-KOM-LE-Version through unchanged', async () => {
    const plain = Buffer.concat([Buffer.from('X-Note: plain\r\n'), MAIL]);
    const opened = await openKimMessageFrom({
      ...asKlinik,
      message: scribblingSource(plain, 100),
      konnektor: klinik.konnektor,
    });
    expect(opened.decryptionResult).toBeNull();
    expect(Buffer.concat(opened.mail).equals(plain)).toBe(true);
  });
});
