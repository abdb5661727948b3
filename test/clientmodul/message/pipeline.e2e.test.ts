/**
 * The real pipeline behind the real proxies and a real Fachdienst: a client submits through the
 * SMTP proxy (KimMailSealer with alice's card), the Fachdienst stores what it accepted, the
 * recipients retrieve through the POP3 proxy (KimMailOpener with their own cards).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FolderCertificateDirectory,
  publishEncryptionCertificates,
} from '../../../adapters/directory/index.js';
import { KimMailOpener, KimMailSealer } from '../../../src/clientmodul/message/index.js';
import { silentLogger } from '../../../src/logging/logger.js';
import { RawSmtp, rawTransaction } from '../../fachdienst/smtp/support.js';
import { createTestCards, fieldValues } from '../../support/clientmodul/kimCards.js';
import type { TestCard, TestCards } from '../../support/clientmodul/kimCards.js';
import { addr, clientUsername, PASSWORD, Pop3Raw, settled, startStack, unstuff } from '../support.js';
import type { Stack } from '../support.js';

const ALICE = addr('alice');
const BOB = addr('bob');
/** An account of the Fachdienst without a published encryption certificate. */
const CAROL = addr('carol');
const MARKER = 'Überweisung-19c4: Verdacht auf Appendizitis';

let stack: Stack;
let world: TestCards;

beforeAll(async () => {
  [stack, world] = await Promise.all([
    startStack({ accounts: [ALICE, BOB, CAROL] }),
    createTestCards([
      { address: ALICE, telematikId: '1-2.58.00000040', name: 'Praxis Alice' },
      { address: BOB, telematikId: '5-2.58.00000077', name: 'Klinik Bob' },
    ]),
  ]);
  const [alice, bob] = world.cards as [TestCard, TestCard];
  const folder = join(world.root, 'vzd');
  await publishEncryptionCertificates(folder, BOB, bob.encryptionCertificates);
  await publishEncryptionCertificates(folder, ALICE, alice.encryptionCertificates);
  const sealer = new KimMailSealer({
    konnektor: alice.konnektor,
    directory: new FolderCertificateDirectory(folder),
    log: silentLogger(),
  });
  const openers = new Map(
    world.cards.map((card) => [
      card.address,
      new KimMailOpener({ konnektor: card.konnektor, trustAnchors: world.trustAnchors, log: silentLogger() }),
    ]),
  );
  stack.outgoing.handler = (request) => sealer.seal(request);
  stack.incoming.handler = (request) => {
    const opener = openers.get(request.ownAddress);
    if (opener === undefined) throw new Error(`no card for ${request.ownAddress}`);
    return opener.open(request);
  };
});

afterAll(async () => {
  await stack?.stop();
  world?.cleanup();
});

/** Every message of `address`, retrieved through the POP3 proxy. */
async function retrieve(address: string): Promise<Buffer[]> {
  await settled(stack.fd);
  const client = await Pop3Raw.loggedIn(
    stack.pop3.port,
    stack.pki.ca,
    clientUsername(address, stack.fd.app.ports.pop3),
    PASSWORD,
  );
  const count = Number((await client.command('STAT')).split(' ')[1]);
  const messages: Buffer[] = [];
  for (let n = 1; n <= count; n++) {
    const { status, body } = await client.multiBody(`RETR ${n}`);
    if (!status.startsWith('+OK')) throw new Error(`RETR ${n}: ${status}`);
    messages.push(unstuff(body));
    await client.command(`DELE ${n}`);
  }
  await client.command('QUIT');
  return messages;
}

describe('KIM message pipeline behind the proxies', () => {
  it('delivers a signed and encrypted mail and reports the dropped recipient to the sender', async () => {
    const client = await RawSmtp.login(
      stack.smtp.port,
      stack.pki.ca,
      clientUsername(ALICE, stack.fd.app.ports.smtp),
      PASSWORD,
    );
    const message =
      `From: Praxis Alice <${ALICE}>\r\nTo: Klinik Bob <${BOB}>,\r\n Carol <${CAROL}>\r\n` +
      'Subject: =?UTF-8?Q?=C3=9Cberweisung?=\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      `${MARKER}\r\n`;
    const result = await rawTransaction(client, ALICE, [BOB, CAROL], message);
    expect(result.end?.code).toBe(250);
    await client.command('QUIT');

    const [atBob, ...moreForBob] = await retrieve(BOB);
    expect(moreForBob).toEqual([]);
    const opened = [atBob!];
    expect(fieldValues(opened, 'X-KIM-DecryptionResult')).toEqual(['00']);
    expect(fieldValues(opened, 'X-KIM-IntegrityCheckResult')).toEqual(['01']);
    expect(fieldValues(opened, 'Return-Path')).toEqual([`<${ALICE}>`]);
    expect(fieldValues(opened, 'To')).toEqual([`Klinik Bob <${BOB}>`]);
    expect(atBob!.toString('utf8')).toContain(MARKER);

    // Carol was never a recipient at the Fachdienst: nothing to retrieve, no plaintext anywhere.
    expect(await retrieve(CAROL)).toEqual([]);

    const [errorMail, ...moreForAlice] = await retrieve(ALICE);
    expect(moreForAlice).toEqual([]);
    // A plain mail (no X-KOM-LE-Version): the POP3 side passes it through unchanged.
    expect(fieldValues([errorMail!], 'X-KIM-Fehlermeldung')).toEqual(['4004']);
    expect(fieldValues([errorMail!], 'X-KIM-DecryptionResult')).toEqual([]);
    expect(errorMail!.toString('latin1')).toContain(`Final-Recipient: rfc822;${CAROL}`);
    expect(errorMail!.toString('utf8')).not.toContain(MARKER);
  });
});
