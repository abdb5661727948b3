/**
 * Real development SMC-B cards for the message pipeline tests: a dev PKI (`createDevPki`) in a
 * temp dir, its SMC-B CA, and one card (OSIG/ENC/AUT, RSA-2048) per KIM address, each behind a
 * SoftwareKonnektor. Card keys are slow to make on a loaded machine: create them once per file.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueDevCard } from '../../../adapters/konnektor/devCardIssuer.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import type { IssuerAndSerial, Konnektor } from '../../../adapters/konnektor/port.js';
import { SoftwareKonnektor } from '../../../adapters/konnektor/softwareKonnektor.js';
import { createDevPki } from '../../../adapters/tls/devPki.js';

export interface CardSpec {
  readonly address: string;
  readonly telematikId: string;
  readonly name: string;
}

export interface TestCard extends CardSpec {
  readonly dir: string;
  readonly konnektor: SoftwareKonnektor;
  /** DER. */
  readonly encryptionCertificates: readonly Buffer[];
}

export interface TestCards {
  readonly root: string;
  readonly pkiDir: string;
  /** The dev root and the dev SMC-B CA (DER): the TSL of these tests. */
  readonly trustAnchors: readonly Buffer[];
  /** Only the dev root: not the card certificates' issuer. */
  readonly rootOnly: readonly Buffer[];
  readonly cards: readonly TestCard[];
  cleanup(): void;
}

function derOf(pemFile: string): Buffer {
  return Buffer.from(new X509Certificate(readFileSync(pemFile)).raw);
}

export async function createTestCards(specs: readonly CardSpec[]): Promise<TestCards> {
  const root = mkdtempSync(join(tmpdir(), 'kim-message-'));
  const pkiDir = join(root, 'pki');
  await createDevPki(pkiDir, { domains: ['kim.test'] });
  const issue = async (spec: CardSpec, i: number): Promise<TestCard> => {
    const dir = join(root, `card-${i}`);
    const result = await issueDevCard({
      pkiDir,
      telematikId: spec.telematikId,
      name: spec.name,
      outDir: dir,
    });
    return {
      ...spec,
      dir,
      konnektor: await SoftwareKonnektor.load(dir),
      encryptionCertificates: result.encryptionCertificates,
    };
  };
  const [first, ...rest] = specs;
  if (first === undefined) throw new Error('no cards');
  // The first card creates the SMC-B CA; the others can then be issued side by side.
  const cards = [await issue(first, 0), ...(await Promise.all(rest.map((spec, i) => issue(spec, i + 1))))];
  const rootCa = derOf(join(pkiDir, 'ca.crt'));
  return {
    root,
    pkiDir,
    trustAnchors: [rootCa, derOf(join(pkiDir, 'smcb-ca.crt'))],
    rootOnly: [rootCa],
    cards,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * A Konnektor that behaves like `inner` except where overridden: a test double of the port the
 * pipeline depends on (an unreachable Konnektor, a card without ENC certificate), never of the
 * pipeline itself.
 */
export function konnektorWith(inner: Konnektor, overrides: Partial<Konnektor>): Konnektor {
  return {
    card: inner.card,
    signingCertificate: () => inner.signingCertificate(),
    encryptionCertificates: () => inner.encryptionCertificates(),
    authenticationCertificate: () => inner.authenticationCertificate(),
    signWithOsig: (data) => inner.signWithOsig(data),
    signWithAut: (data) => inner.signWithAut(data),
    unwrapContentKey: (rid: IssuerAndSerial, key: Buffer) => inner.unwrapContentKey(rid, key),
    ...overrides,
  };
}

/** What a card that is not plugged in answers. */
export function cardMissing(): Promise<never> {
  return Promise.reject(new KonnektorError('KEY_NOT_AVAILABLE', 'card not plugged in'));
}

/** The trace fields a Fachdienst puts in front of a delivered message. */
export function delivered(message: readonly Buffer[], sender: string, recipient: string): Buffer[] {
  const trace =
    `Return-Path: <${sender}>\r\n` +
    `Received: from cm.kim.test (cm.kim.test [127.0.0.1])\r\n\tby fd.kim.test with ESMTPSA id 42\r\n` +
    `\tfor <${recipient}>; Sat, 28 Nov 2026 17:35:00 +0000\r\n`;
  return [Buffer.from(trace, 'latin1'), ...message];
}

export function text(chunks: readonly Buffer[]): string {
  return Buffer.concat(chunks).toString('latin1');
}

/** The header block of a mail (up to the empty line) as text. */
export function headerOf(mail: readonly Buffer[]): string {
  const all = text(mail);
  const end = all.indexOf('\r\n\r\n');
  return end < 0 ? all : all.slice(0, end + 2);
}

/** The values of a field (unfolded), every occurrence. */
export function fieldValues(mail: readonly Buffer[], name: string): string[] {
  const unfolded = headerOf(mail).replace(/\r\n(?=[ \t])/g, '');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'gim');
  return [...unfolded.matchAll(re)].map((m) => (m[1] ?? '').trim());
}
