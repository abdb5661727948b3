import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAuthEnvelopedData,
  decryptAuthEnvelopedData,
  encodeRecipientEmailsAttribute,
  parseAuthEnvelopedData,
  sameRecipientEmails,
  signedDataBytesFrom,
  verifySignedData,
} from '../../../adapters/crypto/index.js';
import { tlv } from '../../../adapters/crypto/der.js';
import { DEFAULT_VERSIONS, openKimMessage, sealKimMessage } from '../../../src/clientmodul/message/index.js';
import type { OpenedKimMessage } from '../../../src/clientmodul/message/index.js';
import { openssl } from '../../support/crypto/testPki.js';
import {
  createTestCards,
  delivered,
  fieldValues,
  headerOf,
  konnektorWith,
  text,
} from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';

const MARKER = 'Befund-7f3a9c: Patientin Erika Mustermann';

let world: TestCards;
let praxis: TestCard;
let klinik: TestCard;
let apotheke: TestCard;
let fremd: TestCard;
let now: Date;
let scratch: string;

beforeAll(async () => {
  world = await createTestCards([
    { address: 'praxis@a.kim.test', telematikId: '1-2.58.00000040', name: 'Praxis Dr. Müller' },
    { address: 'klinik@b.kim.test', telematikId: '5-2.58.00000077', name: 'Klinik am See' },
    { address: 'apotheke@c.kim.test', telematikId: '3-2.58.00000093', name: 'Apotheke am Markt' },
    { address: 'fremd@d.kim.test', telematikId: '1-2.58.00000099', name: 'Fremde Praxis' },
  ]);
  [praxis, klinik, apotheke, fremd] = world.cards as [TestCard, TestCard, TestCard, TestCard];
  now = new Date();
  scratch = mkdtempSync(join(tmpdir(), 'kim-message-test-'));
});
afterAll(() => {
  world?.cleanup();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** A client mail as a primary system writes it: folded To, UTF-8 subject, CRLF. */
const CLIENT_HEADER =
  'Date: Sat, 28 Nov 2026 18:00:00 +0100\r\n' +
  'From: Praxis Dr. =?UTF-8?Q?M=C3=BCller?= <praxis@a.kim.test>\r\n' +
  'To: Klinik am See <klinik@b.kim.test>,\r\n' +
  '\t"Apotheke, am Markt" <apotheke@c.kim.test>\r\n' +
  'Subject: =?UTF-8?Q?Arztbrief_f=C3=BCr_Frau_M.?=\r\n' +
  'Message-ID: <arztbrief-1@a.kim.test>\r\n' +
  'MIME-Version: 1.0\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\n' +
  'Content-Transfer-Encoding: 8bit\r\n';
const CLIENT_BODY = `Sehr geehrte Kollegen,\r\n\r\n${MARKER}\r\nMit freundlichen Grüßen\r\n`;
const CLIENT_MAIL = Buffer.from(`${CLIENT_HEADER}\r\n${CLIENT_BODY}`, 'utf8');

/** What sealing adds to a client mail that sets no Dienstkennung. */
const ADDED =
  'X-KIM-Dienstkennung: KIM-Mail;Default;V1.0\r\n' +
  `X-KIM-CMVersion: ${DEFAULT_VERSIONS.cmVersion}\r\n` +
  `X-KIM-PTVersion: ${DEFAULT_VERSIONS.ptVersion}\r\n` +
  `X-KIM-KONVersion: ${DEFAULT_VERSIONS.konVersion}\r\n`;

async function seal(mail: Buffer = CLIENT_MAIL, options: { includeRecipientEmails?: boolean } = {}) {
  return sealKimMessage({
    mail: [mail],
    konnektor: praxis.konnektor,
    senderAddress: praxis.address,
    recipients: [klinik, apotheke].map((c) => ({
      address: c.address,
      certificates: c.encryptionCertificates,
    })),
    now,
    ...options,
  });
}

/** Opens as `card` would after the Fachdienst delivered it; `trustAnchors` null: none configured. */
function open(
  card: TestCard,
  message: readonly Buffer[],
  trustAnchors: readonly Buffer[] | null = world.trustAnchors,
) {
  return openKimMessage({
    message: delivered(message, praxis.address, card.address),
    ownAddress: card.address,
    konnektor: card.konnektor,
    ...(trustAnchors === null ? {} : { trustAnchors }),
    now,
  });
}

/** The outer message split into its header text and the decoded AuthEnvelopedData. */
function envelopeOf(message: readonly Buffer[]): { head: string; der: Buffer } {
  const all = text(message);
  const end = all.indexOf('\r\n\r\n') + 4;
  return { head: all.slice(0, end), der: Buffer.from(all.slice(end), 'base64') };
}

function outerWith(head: string, der: Buffer): Buffer[] {
  const lines = der.toString('base64').match(/.{1,76}/g) ?? [];
  return [Buffer.from(head + lines.join('\r\n') + '\r\n', 'latin1')];
}

/** The decrypted signed-data entity, through the codec with the card's key. */
async function decryptFor(card: TestCard, message: readonly Buffer[]): Promise<Buffer> {
  const opened = await decryptAuthEnvelopedData(envelopeOf(message).der, {
    ownEmail: card.address,
    unwrap: (rid, key) => card.konnektor.unwrapContentKey(rid, key),
  });
  return Buffer.concat(opened.content);
}

function expectErrorMail(opened: OpenedKimMessage, codes: readonly string[]): string {
  const mail = text(opened.mail);
  expect(fieldValues(opened.mail, 'X-KIM-Fehlermeldung')).toEqual(codes);
  expect(fieldValues(opened.mail, 'Content-Type')[0]).toMatch(/^multipart\/mixed; boundary="/);
  return mail;
}

describe('sealKimMessage → openKimMessage', () => {
  it('delivers the client mail to both recipients and the sender, each with its own card', async () => {
    const sealed = await seal();
    const expectedInner = `${CLIENT_HEADER}${ADDED}\r\n${CLIENT_BODY}`;
    for (const card of [klinik, apotheke, praxis]) {
      const opened = await open(card, sealed.message);
      expect(opened.decryptionResult).toBe('00');
      expect(opened.integrityCheckResult).toBe('01');
      expect(opened.errorCodes).toEqual([]);
      const trace = text(delivered([], praxis.address, card.address));
      expect(Buffer.concat(opened.mail).toString('utf8')).toBe(
        `${trace}X-KIM-DecryptionResult: 00\r\nX-KIM-IntegrityCheckResult: 01\r\n${expectedInner}`,
      );
    }
  });

  it('lists every recipient certificate and the sender’s, signed and unsigned alike', async () => {
    const sealed = await seal();
    expect(sealed.recipientEmails.map((e) => e.email)).toEqual([
      klinik.address,
      apotheke.address,
      praxis.address,
    ]);
    const parsed = parseAuthEnvelopedData(envelopeOf(sealed.message).der);
    expect(parsed.recipients).toHaveLength(3);
    const verified = verifySignedData(signedDataBytesFrom(await decryptFor(klinik, sealed.message)));
    if (!verified.valid) throw new Error(verified.reason);
    expect(sameRecipientEmails(verified.recipientEmails!, parsed.recipientEmails!)).toBe(true);
  });

  it('writes the outer header the profile describes and nothing of the content', async () => {
    const sealed = await seal();
    const head = headerOf(sealed.message);
    // Byte-exact copies of the inner fields, folding included.
    expect(head).toContain(
      'Date: Sat, 28 Nov 2026 18:00:00 +0100\r\n' +
        'From: Praxis Dr. =?UTF-8?Q?M=C3=BCller?= <praxis@a.kim.test>\r\n' +
        'To: Klinik am See <klinik@b.kim.test>,\r\n\t"Apotheke, am Markt" <apotheke@c.kim.test>\r\n' +
        'Message-ID: <arztbrief-1@a.kim.test>\r\n' +
        ADDED,
    );
    expect(fieldValues(sealed.message, 'Subject')).toEqual(['KOM-LE-Nachricht']);
    expect(fieldValues(sealed.message, 'X-KOM-LE-Version')).toEqual(['1.0']);
    expect(new Date(fieldValues(sealed.message, 'Expires')[0]!).getTime()).toBe(
      Math.floor(now.getTime() / 1000) * 1000 + 90 * 24 * 3600_000,
    );
    expect(fieldValues(sealed.message, 'Content-Type')).toEqual([
      'application/pkcs7-mime; smime-type=authenticated-enveloped-data; name=smime.p7m',
    ]);
    expect(fieldValues(sealed.message, 'Content-Transfer-Encoding')).toEqual(['base64']);
    expect(fieldValues(sealed.message, 'Content-Disposition')).toEqual(['attachment; filename=smime.p7m']);
    const all = text(sealed.message);
    expect(all).not.toContain('Arztbrief');
    expect(all).not.toContain('Befund');
    const lines = all.slice(head.length + 2).split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(0, -1).every((line) => line.length === 76)).toBe(true);
    expect(lines.at(-1)!.length).toBeLessThanOrEqual(76);
  });

  it('signs a SignedData that openssl cms -verify accepts, over the rfc822-wrapped inner mail', async () => {
    const sealed = await seal();
    const entity = await decryptFor(klinik, sealed.message);
    expect(entity.subarray(0, 200).toString('latin1')).toMatch(
      /^MIME-Version: 1\.0\r\nContent-Type: application\/pkcs7-mime; smime-type=signed-data; name=smime\.p7m\r\nContent-Transfer-Encoding: binary\r\n/,
    );
    const file = join(scratch, 'signed.der');
    writeFileSync(file, signedDataBytesFrom(entity));
    const result = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', file, '-binary']);
    expect(result.stderr).toContain('Verification successful');
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toBe(
      `Content-Type: message/rfc822\r\n\r\n${CLIENT_HEADER}${ADDED}\r\n${CLIENT_BODY}`,
    );
  });

  it('can leave out the unauthenticated recipient-emails so that openssl decrypts it', async () => {
    const sealed = await seal(CLIENT_MAIL, { includeRecipientEmails: false });
    const file = join(scratch, 'enveloped.der');
    writeFileSync(file, envelopeOf(sealed.message).der);
    const result = openssl([
      ...['cms', '-decrypt', '-inform', 'DER', '-in', file, '-binary'],
      ...['-recip', join(klinik.dir, 'enc.crt'), '-inkey', join(klinik.dir, 'enc.key')],
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.equals(await decryptFor(klinik, sealed.message))).toBe(true);
    // The profile needs both copies: without the unsigned one the receiver cannot rule out 09.
    expect((await open(klinik, sealed.message)).integrityCheckResult).toBe('09');
  });
});

describe('the client mail before signing', () => {
  it('gets CRLF line ends, a Date, a Message-ID (the same inside and outside) and the Dienstkennung', async () => {
    const mail = Buffer.from(
      'From: <praxis@a.kim.test>\nTo: <klinik@b.kim.test>\nBcc: <apotheke@c.kim.test>\n' +
        'X-KIM-CMVersion: FAKE_9.9.9\nSubject: lf\n\nline one\nline two\rline three\n',
    );
    const sealed = await seal(mail);
    const opened = await open(klinik, sealed.message);
    expect(opened.integrityCheckResult).toBe('01');
    const inner = text(opened.mail);
    expect(inner).toContain('\r\n\r\nline one\r\nline two\r\nline three\r\n');
    expect(inner).not.toMatch(/[^\r]\n/);
    const messageId = fieldValues(opened.mail, 'Message-ID');
    expect(messageId).toHaveLength(1);
    expect(messageId[0]).toMatch(/^<[0-9a-f-]{36}@a\.kim\.test>$/);
    expect(fieldValues(sealed.message, 'Message-ID')).toEqual(messageId);
    expect(fieldValues(opened.mail, 'Date')).toEqual(fieldValues(sealed.message, 'Date'));
    expect(fieldValues(opened.mail, 'Date')).toHaveLength(1);
    expect(fieldValues(opened.mail, 'X-KIM-Dienstkennung')).toEqual(['KIM-Mail;Default;V1.0']);
    expect(fieldValues(opened.mail, 'X-KIM-CMVersion')).toEqual([DEFAULT_VERSIONS.cmVersion]);
    // Bcc is neither signed (every recipient would see it) nor in the outer header (every relay would).
    expect(fieldValues(opened.mail, 'Bcc')).toEqual([]);
    expect(fieldValues(sealed.message, 'Bcc')).toEqual([]);
  });

  it('keeps a Dienstkennung the client system set and copies it to the outer header', async () => {
    const mail = Buffer.from(
      'From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\nX-KIM-Dienstkennung: eAU;Lieferung;V1.0\r\n' +
        'X-KIM-Sendersystem: PVS;1.2\r\n\r\nbody\r\n',
    );
    const sealed = await seal(mail);
    expect(fieldValues(sealed.message, 'X-KIM-Dienstkennung')).toEqual(['eAU;Lieferung;V1.0']);
    expect(fieldValues(sealed.message, 'X-KIM-Sendersystem')).toEqual(['PVS;1.2']);
    const opened = await open(klinik, sealed.message);
    expect(fieldValues(opened.mail, 'X-KIM-Dienstkennung')).toEqual(['eAU;Lieferung;V1.0']);
  });

  it('refuses versions that do not match the regexes receivers check', async () => {
    await expect(
      sealKimMessage({
        mail: [CLIENT_MAIL],
        konnektor: praxis.konnektor,
        senderAddress: praxis.address,
        recipients: [],
        now,
        versions: { ...DEFAULT_VERSIONS, cmVersion: 'TOOLONGVENDOR_1.0.0' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('openKimMessage', () => {
  it('passes a mail without X-KOM-LE-Version through unchanged', async () => {
    const dsn = [Buffer.from('From: MAILER-DAEMON@b.kim.test\r\nSubject: Zustellbestätigung\r\n\r\nok\r\n')];
    const opened = await openKimMessage({
      message: dsn,
      ownAddress: praxis.address,
      konnektor: praxis.konnektor,
      now,
    });
    expect(opened).toMatchObject({ decryptionResult: null, integrityCheckResult: null, errorCodes: [] });
    expect(Buffer.concat(opened.mail).equals(dsn[0]!)).toBe(true);
  });

  it('answers an unknown X-KOM-LE-Version with error mail 4008 and the original attached', async () => {
    const sealed = await seal();
    const changed = [
      Buffer.from(text(sealed.message).replace('X-KOM-LE-Version: 1.0', 'X-KOM-LE-Version: 2.0'), 'latin1'),
    ];
    const opened = await open(klinik, changed);
    expect(opened).toMatchObject({
      decryptionResult: null,
      integrityCheckResult: null,
      errorCodes: ['4008'],
    });
    const mail = expectErrorMail(opened, ['4008']);
    expect(mail).toContain(text(changed));
    expect(mail).not.toContain(MARKER);
  });

  it('reports 02 for a flipped ciphertext byte and releases no plaintext', async () => {
    const sealed = await seal();
    const { head, der } = envelopeOf(sealed.message);
    // encryptedContent [0] (indefinite), then the first OCTET STRING segment of the ciphertext.
    const encryptedContent = der.indexOf(Buffer.from([0xa0, 0x80, 0x04]));
    expect(encryptedContent).toBeGreaterThan(0);
    der[encryptedContent + 20] = (der[encryptedContent + 20] as number) ^ 0x01;
    const opened = await open(klinik, outerWith(head, der));
    expect(opened).toMatchObject({
      decryptionResult: '02',
      integrityCheckResult: null,
      errorCodes: ['4010'],
    });
    expect(opened.reason).toContain('GCM tag does not verify');
    const mail = expectErrorMail(opened, ['4010']);
    expect(fieldValues(opened.mail, 'X-KIM-DecryptionResult')).toEqual(['02']);
    expect(fieldValues(opened.mail, 'Subject')[0]).toMatch(/^=\?UTF-8\?B\?/);
    // Originator fields are copied from the received mail, the encrypted original is attached.
    expect(fieldValues(opened.mail, 'From')).toEqual(fieldValues(sealed.message, 'From'));
    expect(mail).toContain('Content-Type: message/rfc822');
    expect(mail).toContain(head);
    expect(Buffer.concat(opened.mail).includes(MARKER)).toBe(false);
    expect(Buffer.concat(opened.mail).includes('Befund')).toBe(false);
  });

  it('reports 01 when the card holds no key the message was encrypted for', async () => {
    const sealed = await seal();
    const opened = await open(fremd, sealed.message);
    expect(opened).toMatchObject({ decryptionResult: '01', errorCodes: ['4009'] });
    expect(Buffer.concat(opened.mail).includes(MARKER)).toBe(false);
  });

  it('reports 03 when the Konnektor cannot be reached', async () => {
    const sealed = await seal();
    const unreachable = konnektorWith(klinik.konnektor, {
      unwrapContentKey: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:443')),
    });
    const opened = await openKimMessage({
      message: sealed.message,
      ownAddress: klinik.address,
      konnektor: unreachable,
      now,
    });
    expect(opened).toMatchObject({ decryptionResult: '03', errorCodes: ['4011'] });
    expect(text(opened.mail)).toContain(text(sealed.message));
  });

  it('reports 08 when the outer From was changed, and embeds the signed original', async () => {
    const sealed = await seal();
    const forged = text(sealed.message).replace(
      'From: Praxis Dr. =?UTF-8?Q?M=C3=BCller?= <praxis@a.kim.test>',
      'From: Praxis Dr. =?UTF-8?Q?M=C3=BCller?= <boss@a.kim.test>',
    );
    const opened = await open(klinik, [Buffer.from(forged, 'latin1')]);
    expect(opened).toMatchObject({
      decryptionResult: '00',
      integrityCheckResult: '08',
      errorCodes: ['4014'],
    });
    const mail = expectErrorMail(opened, ['4014']);
    expect(fieldValues(opened.mail, 'X-KIM-IntegrityCheckResult')).toEqual(['08']);
    expect(fieldValues(opened.mail, 'X-KIM-DecryptionResult')).toEqual(['00']);
    // The error mail names the signed sender, not the forged one.
    expect(fieldValues(opened.mail, 'From')).toEqual([
      'Praxis Dr. =?UTF-8?Q?M=C3=BCller?= <praxis@a.kim.test>',
    ]);
    expect(mail).toContain(`Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n`);
    const parsed = await simpleParser(Buffer.concat(opened.mail));
    expect(parsed.subject).toBe('Sicherheitswarnung: Die Prüfung der KIM-Nachricht ist fehlgeschlagen');
    expect(parsed.text).toContain('Sicherheitsverletzung festgestellt');
    expect(parsed.text).toContain('Prüfergebnis 08');
    expect(parsed.text).not.toContain(MARKER);
    expect(parsed.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
    expect(Buffer.concat(opened.mail).toString('utf8')).toContain(
      `${CLIENT_HEADER}${ADDED}\r\n${CLIENT_BODY}`,
    );
  });

  it('does not take re-folded outer fields for a change', async () => {
    const sealed = await seal();
    const refolded = text(sealed.message).replace(
      'To: Klinik am See <klinik@b.kim.test>,\r\n\t"Apotheke',
      'To: Klinik am See <klinik@b.kim.test>, "Apotheke',
    );
    expect(refolded).not.toBe(text(sealed.message));
    expect((await open(klinik, [Buffer.from(refolded, 'latin1')])).integrityCheckResult).toBe('01');
  });

  it('reports 09 when the unauthenticated recipient-emails were changed', async () => {
    const sealed = await seal();
    const { head, der } = envelopeOf(sealed.message);
    const entries = parseAuthEnvelopedData(der).recipientEmails!;
    const original = tlv(0xa2, encodeRecipientEmailsAttribute(entries));
    const forgedEntries = entries.map((e) =>
      e.email === apotheke.address ? { ...e, email: 'mallory@d.kim.test' } : e,
    );
    const forged = tlv(0xa2, encodeRecipientEmailsAttribute(forgedEntries));
    const at = der.indexOf(original);
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.concat([der.subarray(0, at), forged, der.subarray(at + original.length)]);
    const opened = await open(klinik, outerWith(head, tampered));
    expect(opened).toMatchObject({
      decryptionResult: '00',
      integrityCheckResult: '09',
      errorCodes: ['4015'],
    });
    expectErrorMail(opened, ['4015']);
  });

  it('reports 02 when the signed content was changed and re-encrypted', async () => {
    const sealed = await seal();
    const entity = await decryptFor(klinik, sealed.message);
    const at = entity.indexOf(MARKER);
    expect(at).toBeGreaterThan(0);
    entity[at] = 'b'.charCodeAt(0); // "Befund" → "befund"
    const envelope = createAuthEnvelopedData({
      content: [entity],
      recipients: [{ certificate: klinik.encryptionCertificates[0]!, email: klinik.address }],
    });
    const opened = await open(
      klinik,
      outerWith(envelopeOf(sealed.message).head, Buffer.concat(envelope.chunks)),
    );
    expect(opened).toMatchObject({
      decryptionResult: '00',
      integrityCheckResult: '02',
      errorCodes: ['X5002'],
    });
    const mail = expectErrorMail(opened, ['X5002']);
    // The decrypted entity is embedded with its DER re-encoded as base64, so POP3 carries it intact.
    expect(mail).toMatch(
      /smime-type=signed-data; name=smime\.p7m\r\nContent-Disposition: attachment; filename=smime\.p7m\r\nContent-Transfer-Encoding: base64\r\n/,
    );
  });

  it('reports 03 for encrypted content that is not signed', async () => {
    const sealed = await seal();
    const envelope = createAuthEnvelopedData({
      content: [Buffer.from('Content-Type: text/plain\r\n\r\nunsigned\r\n')],
      recipients: [{ certificate: klinik.encryptionCertificates[0]!, email: klinik.address }],
    });
    const opened = await open(
      klinik,
      outerWith(envelopeOf(sealed.message).head, Buffer.concat(envelope.chunks)),
    );
    expect(opened).toMatchObject({ decryptionResult: '00', integrityCheckResult: '03' });
  });

  it('reports 07 without trust anchors and 05 when the signer’s issuer is not one of them', async () => {
    const sealed = await seal();
    const unchecked = await openKimMessage({
      message: sealed.message,
      ownAddress: klinik.address,
      konnektor: klinik.konnektor,
      now,
    });
    expect(unchecked).toMatchObject({ decryptionResult: '00', integrityCheckResult: '07', errorCodes: [] });
    expect(fieldValues(unchecked.mail, 'X-KIM-IntegrityCheckResult')).toEqual(['07']);

    const untrusted = await open(klinik, sealed.message, world.rootOnly);
    expect(untrusted).toMatchObject({ integrityCheckResult: '05', errorCodes: ['X5002'] });
  });

  it('finds the own entry in recipient-emails whatever the case of the POP3 address', async () => {
    const sealed = await seal();
    const opened = await openKimMessage({
      message: sealed.message,
      ownAddress: 'Apotheke@C.KIM.TEST',
      konnektor: apotheke.konnektor,
      trustAnchors: world.trustAnchors,
      now,
    });
    expect(opened).toMatchObject({ decryptionResult: '00', integrityCheckResult: '01' });
  });

  it('reports 05 for a signature made with a key that is not the OSIG key', async () => {
    const autSigner = konnektorWith(praxis.konnektor, {
      signingCertificate: () => praxis.konnektor.authenticationCertificate(),
      signWithOsig: (data) => praxis.konnektor.signWithAut(data),
    });
    const sealed = await sealKimMessage({
      mail: [CLIENT_MAIL],
      konnektor: autSigner,
      senderAddress: praxis.address,
      recipients: [{ address: klinik.address, certificates: klinik.encryptionCertificates }],
      now,
    });
    const opened = await open(klinik, sealed.message);
    expect(opened).toMatchObject({
      decryptionResult: '00',
      integrityCheckResult: '05',
      errorCodes: ['X5002'],
    });
    expect(opened.reason).toContain('not an OSIG certificate');
  });

  it('does not let a sender preset the result fields', async () => {
    const mail = Buffer.from(
      'From: <praxis@a.kim.test>\r\nTo: <klinik@b.kim.test>\r\nX-KIM-IntegrityCheckResult: 01\r\n\r\nbody\r\n',
    );
    const sealed = await seal(mail);
    const opened = await open(klinik, sealed.message, null);
    expect(fieldValues(opened.mail, 'X-KIM-IntegrityCheckResult')).toEqual(['07']);
  });
});
