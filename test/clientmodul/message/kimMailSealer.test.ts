import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FolderCertificateDirectory,
  publishEncryptionCertificates,
} from '../../../adapters/directory/index.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import type { Konnektor } from '../../../adapters/konnektor/port.js';
import { KimMailSealer, openKimMessage } from '../../../src/clientmodul/message/index.js';
import type { SealRequest, SealResult } from '../../../src/clientmodul/ports.js';
import {
  createTestCards,
  delivered,
  fieldValues,
  konnektorWith,
  text,
} from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';

const MARKER = 'Laborwert-3b7e: Kalium 5,9 mmol/l';
const OHNE = 'ohne-zertifikat@b.kim.test';
const DOPPELT = 'doppelt@b.kim.test';

let world: TestCards;
let praxis: TestCard;
let klinik: TestCard;
/** A renewed card of the same institution as `klinik`: same Telematik-ID, another ENC key. */
let klinikNeu: TestCard;
let labor: TestCard;
let directory: FolderCertificateDirectory;
let now: Date;

beforeAll(async () => {
  world = await createTestCards([
    { address: 'praxis@a.kim.test', telematikId: '1-2.58.00000040', name: 'Praxis' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik (Folgekarte)' },
    { address: 'labor@c.kim.test', telematikId: '2-2.58.00000011', name: 'Labor' },
  ]);
  [praxis, klinik, klinikNeu, labor] = world.cards as [TestCard, TestCard, TestCard, TestCard];
  const folder = join(world.root, 'vzd');
  await publishEncryptionCertificates(folder, klinik.address, [
    ...klinik.encryptionCertificates,
    ...klinikNeu.encryptionCertificates,
  ]);
  await publishEncryptionCertificates(folder, labor.address, labor.encryptionCertificates);
  // Two institutions' certificates under one address: KOM-LE-A_2178 forbids sending to it.
  await publishEncryptionCertificates(folder, DOPPELT, [
    ...klinik.encryptionCertificates,
    ...labor.encryptionCertificates,
  ]);
  directory = new FolderCertificateDirectory(folder, { listingTtlMs: 0 });
  now = new Date();
});
afterAll(() => world?.cleanup());

function sealer(konnektor: Konnektor = praxis.konnektor, dir = directory): KimMailSealer {
  return new KimMailSealer({ konnektor, directory: dir, now: () => now, hostname: 'cm.a.kim.test' });
}

function mail(header: string): Buffer[] {
  return [
    Buffer.from(`${header}Subject: Laborwerte\r\nMessage-ID: <labor-1@a.kim.test>\r\n\r\n${MARKER}\r\n`),
  ];
}

function request(
  header: string,
  recipients: readonly string[],
  extra: Partial<SealRequest> = {},
): SealRequest {
  return { mail: mail(header), sender: praxis.address, recipients, ...extra };
}

function sealed(result: SealResult): Extract<SealResult, { kind: 'sealed' }> {
  if (result.kind !== 'sealed') throw new Error(`refused: ${result.code} ${result.text}`);
  return result;
}

async function openAs(card: TestCard, message: readonly Buffer[], address = card.address) {
  return openKimMessage({
    message: delivered(message, praxis.address, address),
    ownAddress: address,
    konnektor: card.konnektor,
    trustAnchors: world.trustAnchors,
    now,
  });
}

describe('KimMailSealer', () => {
  it('drops a recipient without certificate, also from To/Cc, and tells the sender in an unsigned mail', async () => {
    const result = sealed(
      await sealer().seal(
        request(
          `From: Praxis <praxis@a.kim.test>\r\nTo: Klinik <klinik@b.kim.test>, Ohne <${OHNE}>\r\n` +
            'Cc: <nicht-im-rcpt@e.kim.test>\r\n',
          [klinik.address, OHNE],
        ),
      ),
    );
    expect(result.recipients).toEqual([klinik.address]);
    expect(result.removed).toEqual([
      { address: OHNE, code: '4004', reason: 'no usable encryption certificate' },
    ]);

    // A_23174: only checked addresses remain; the outer header is the same as the signed one.
    expect(fieldValues(result.message, 'To')).toEqual(['Klinik <klinik@b.kim.test>']);
    expect(fieldValues(result.message, 'Cc')).toEqual([]);
    const opened = await openAs(klinik, result.message);
    expect(opened).toMatchObject({ decryptionResult: '00', integrityCheckResult: '01' });
    expect(fieldValues(opened.mail, 'To')).toEqual(['Klinik <klinik@b.kim.test>']);
    expect(text(opened.mail)).toContain(MARKER);

    const errorMail = Buffer.concat(result.errorMail!);
    expect(errorMail.includes(MARKER)).toBe(false);
    const parsed = await simpleParser(errorMail);
    // Send-to-self through the Fachdienst: From and To are the authenticated address (A_23422).
    expect(parsed.from?.value.map((a) => a.address)).toEqual([praxis.address]);
    expect(fieldValues(result.errorMail!, 'To')).toEqual([`<${praxis.address}>`]);
    expect(fieldValues(result.errorMail!, 'X-KIM-Fehlermeldung')).toEqual(['4004']);
    expect(fieldValues(result.errorMail!, 'X-KOM-LE-Version')).toEqual([]);
    expect(fieldValues(result.errorMail!, 'In-Reply-To')).toEqual(['<labor-1@a.kim.test>']);
    expect(parsed.subject).toBe('Die Nachricht konnte nicht für alle Empfänger verschlüsselt werden');
    expect(parsed.text).toContain(OHNE);
    expect(errorMail.toString('latin1')).toContain(
      `Content-Type: multipart/report; report-type=delivery-status;`,
    );
    expect(errorMail.toString('latin1')).toContain(`Final-Recipient: rfc822;${OHNE}\r\nAction: failed\r\n`);
  });

  it('encrypts for every certificate of an address, so a renewed card opens it too', async () => {
    const result = sealed(
      await sealer().seal(
        request('From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\n', [klinik.address]),
      ),
    );
    for (const card of [klinik, klinikNeu]) {
      expect(await openAs(card, result.message, klinik.address)).toMatchObject({
        integrityCheckResult: '01',
      });
    }
  });

  it('drops an address whose certificates belong to different Telematik-IDs (4005)', async () => {
    const result = sealed(
      await sealer().seal(
        request(`From: <praxis@a.kim.test>\r\nTo: <labor@c.kim.test>, <${DOPPELT}>\r\n`, [
          labor.address,
          DOPPELT,
        ]),
      ),
    );
    expect(result.recipients).toEqual([labor.address]);
    expect(result.removed).toMatchObject([{ address: DOPPELT, code: '4005' }]);
    expect(fieldValues(result.errorMail!, 'X-KIM-Fehlermeldung')).toEqual(['4005']);
    // Neither of the two cards behind the address can open it.
    expect(await openAs(klinik, result.message)).toMatchObject({ decryptionResult: '01' });
  });

  it('sends a blind copy without disclosing it in any header', async () => {
    const result = sealed(
      await sealer().seal(
        request('From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\nBcc: <labor@c.kim.test>\r\n', [
          klinik.address,
          labor.address,
        ]),
      ),
    );
    expect(result.recipients).toEqual([klinik.address, labor.address]);
    expect(fieldValues(result.message, 'Bcc')).toEqual([]);
    const opened = await openAs(labor, result.message);
    expect(opened.integrityCheckResult).toBe('01');
    expect(fieldValues(opened.mail, 'Bcc')).toEqual([]);
    expect(fieldValues(opened.mail, 'To')).toEqual(['<klinik@b.kim.test>']);
  });

  it('sends to the sender itself without a directory entry for it', async () => {
    const result = sealed(
      await sealer().seal(
        request('From: <praxis@a.kim.test>\r\nTo: <PRAXIS@a.kim.test>\r\n', ['PRAXIS@a.kim.test']),
      ),
    );
    expect(result).toMatchObject({ recipients: ['PRAXIS@a.kim.test'], removed: [] });
    expect(result.errorMail).toBeUndefined();
    expect(await openAs(praxis, result.message)).toMatchObject({ integrityCheckResult: '01' });
  });

  it('refuses with 451 when no recipient is left', async () => {
    const result = await sealer().seal(
      request(`From: <praxis@a.kim.test>\r\nTo: <${OHNE}>\r\n`, [OHNE, DOPPELT]),
    );
    expect(result).toEqual({
      kind: 'refused',
      code: 451,
      enhanced: '4.7.5',
      text:
        'Die Nachricht konnte nicht gesendet werden, weil fuer keinen Empfaenger gueltige ' +
        'Verschluesselungszertifikate ermittelt werden konnten.',
    });
  });

  it('refuses with 553 when the sender’s card has no encryption certificate', async () => {
    const noEnc = konnektorWith(praxis.konnektor, { encryptionCertificates: () => [] });
    const result = await sealer(noEnc).seal(request('From: <praxis@a.kim.test>\r\n', [klinik.address]));
    expect(result).toMatchObject({ kind: 'refused', code: 553 });
  });

  it('refuses with 552 5.3.4 when the mail or the sealed message exceeds maxMailSize', async () => {
    const header = 'From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\n';
    const size = Buffer.concat(mail(header)).length;
    const tooBig = await sealer().seal(request(header, [klinik.address], { maxMailSize: size - 1 }));
    expect(tooBig).toMatchObject({ kind: 'refused', code: 552, enhanced: '5.3.4' });
    // Signed, encrypted and base64-encoded, the message grows far beyond the client mail.
    const grown = await sealer().seal(request(header, [klinik.address], { maxMailSize: size + 100 }));
    expect(grown).toMatchObject({ kind: 'refused', code: 552, enhanced: '5.3.4' });
    expect(
      sealed(await sealer().seal(request(header, [klinik.address], { maxMailSize: 100_000 }))).kind,
    ).toBe('sealed');
  });

  it('refuses with 451 when the card cannot sign', async () => {
    const locked = konnektorWith(praxis.konnektor, {
      signWithOsig: () => Promise.reject(new KonnektorError('KEY_NOT_AVAILABLE', 'PIN.SMC not verified')),
    });
    const result = await sealer(locked).seal(request('From: <praxis@a.kim.test>\r\n', [klinik.address]));
    expect(result).toMatchObject({ kind: 'refused', code: 451, enhanced: '4.7.5' });
  });

  it('refuses with 451 when the directory cannot be read', async () => {
    const gone = new FolderCertificateDirectory(join(world.root, 'no-such-folder'));
    const result = await sealer(praxis.konnektor, gone).seal(
      request('From: <praxis@a.kim.test>\r\n', [klinik.address]),
    );
    expect(result).toMatchObject({ kind: 'refused', code: 451, enhanced: '4.4.3' });
  });
});
