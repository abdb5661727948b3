import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KimMessageError } from '../../../src/clientmodul/message/errors.js';
import { openKimMessage } from '../../../src/clientmodul/message/openKimMessage.js';
import { sealKimMessage, sealKimMessageTo } from '../../../src/clientmodul/message/sealKimMessage.js';
import type { SealKimMessageStreamInput } from '../../../src/clientmodul/message/sealKimMessage.js';
import { changingSource, scribblingSource } from './byteSources.js';
import { createTestCards, delivered, konnektorWith, text } from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';

let world: TestCards;
let praxis: TestCard;
let klinik: TestCard;
const now = new Date();

beforeAll(async () => {
  world = await createTestCards([
    { address: 'praxis@a.kim.test', telematikId: '1-2.58.00000040', name: 'Praxis' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik' },
  ]);
  [praxis, klinik] = world.cards as [TestCard, TestCard];
});
afterAll(() => world?.cleanup());

/** A client mail with LF line ends (a file from a Unix tool) and a body of some 200 KB. */
const MAIL = Buffer.from(
  'From: <praxis@a.kim.test>\nTo: <klinik@b.kim.test>\nSubject: Befund\n' +
    'Date: Sat, 28 Nov 2026 18:00:00 +0100\nMessage-ID: <befund-7@a.kim.test>\n\n' +
    Array.from({ length: 3000 }, (_, i) => `Zeile ${i}: ${'Befundtext '.repeat(6)}\r`).join('\n') +
    '\n',
  'latin1',
);

function input(mail: SealKimMessageStreamInput['mail']): SealKimMessageStreamInput {
  return {
    mail,
    konnektor: praxis.konnektor,
    senderAddress: praxis.address,
    recipients: [{ address: klinik.address, certificates: klinik.encryptionCertificates }],
    now,
  };
}

function openAsKlinik(message: readonly Buffer[]) {
  return openKimMessage({
    message: delivered(message, praxis.address, klinik.address),
    ownAddress: klinik.address,
    konnektor: klinik.konnektor,
    trustAnchors: world.trustAnchors,
    now,
  });
}

describe('sealKimMessageTo', () => {
  it('reads the mail twice in small reused pieces and writes what sealKimMessage writes', async () => {
    const source = scribblingSource(MAIL, 1000);
    const written: Buffer[] = [];
    const { recipientEmails } = await sealKimMessageTo(input(source), (piece) => {
      written.push(Buffer.from(piece));
    });
    expect(source.readings).toEqual({ chunks: 2, all: 0 });
    expect(recipientEmails.map((r) => r.email)).toEqual([klinik.address, praxis.address]);

    const streamed = await openAsKlinik(written);
    const whole = await openAsKlinik((await sealKimMessage({ ...input(source), mail: [MAIL] })).message);
    expect(streamed).toMatchObject({ decryptionResult: '00', integrityCheckResult: '01', errorCodes: [] });
    expect(text(streamed.mail)).toBe(text(whole.mail));
    expect(text(streamed.mail)).toContain('Zeile 2999: Befundtext');
    expect(text(streamed.mail)).not.toMatch(/[^\r]\n|\r[^\n]/);
  });

  it('writes nothing when the mail cannot be read or signed', async () => {
    const failing = {
      size: MAIL.length,
      // eslint-disable-next-line @typescript-eslint/require-await -- fails at once
      async *chunks(): AsyncGenerator<Buffer> {
        throw new Error('EIO');
      },
      all: () => Promise.reject(new Error('EIO')),
    };
    const written: Buffer[] = [];
    const sink = (piece: Buffer): void => {
      written.push(piece);
    };
    await expect(sealKimMessageTo(input(failing), sink)).rejects.toThrow('EIO');
    const noCard = konnektorWith(praxis.konnektor, {
      signWithOsig: () => Promise.reject(new Error('card removed')),
    });
    await expect(
      sealKimMessageTo({ ...input(scribblingSource(MAIL, 4096)), konnektor: noCard }, sink),
    ).rejects.toThrow('card removed');
    expect(written).toEqual([]);
  });

  it('fails with MAIL_CHANGED when the second reading is not as long as the first', async () => {
    for (const second of [MAIL.subarray(0, -10), Buffer.concat([MAIL, Buffer.from('more\r\n')])]) {
      const error = await sealKimMessageTo(input(changingSource(MAIL, second)), () => undefined).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KimMessageError);
      expect(error).toMatchObject({ code: 'MAIL_CHANGED' });
    }
  });
});
