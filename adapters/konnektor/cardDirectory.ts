/**
 * Reads an institution card (SMC-B) from a directory:
 *   osig.crt + osig.key, aut.crt + aut.key, enc.crt + enc.key (and enc-2.crt + enc-2.key, … while a
 *   card is renewed) as PEM (or DER certificates); and/or PKCS#12 files (*.p12, *.pfx, e.g. one
 *   card.p12 with all keys, or one file per key as card issuers deliver them), whose keys are
 *   assigned to OSIG/ENC/AUT by their certificates' key usage.
 * Other files (ca.crt, smcb-ca.crt, …) are ignored. Every problem is a one-line KonnektorError
 * naming the file at fault.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_CARD_FILE_BYTES } from './asn1Limits.js';
import { checkKeyPair, describeKeyUsage, isValidAt, readCardCertificate, roleOf } from './cardCertificate.js';
import type { CardCertificate, CardRole } from './cardCertificate.js';
import { Pkcs12Error } from './pkcs12/pkcs12Error.js';
import { KonnektorError } from './port.js';
import type { CardIdentity } from './port.js';

/** The environment variable the PKCS#12 password is taken from when no option gives it. */
export const CARD_PASSWORD_ENV = 'KIM_CARD_PASSWORD';

export interface CardKey {
  readonly role: CardRole;
  readonly key: KeyObject;
  readonly certificate: CardCertificate;
  /** The file the private key came from. */
  readonly keyFile: string;
}

export interface LoadedCard {
  readonly identity: CardIdentity;
  readonly osig: CardKey;
  readonly aut: CardKey;
  /** Every ENC key, valid or not: expired ones still decrypt older mail. */
  readonly enc: readonly CardKey[];
  /** The ENC keys whose certificates are valid now, to encrypt for. */
  readonly encValid: readonly CardKey[];
}

export interface LoadCardOptions {
  /** Password of PKCS#12 files and encrypted PEM keys. */
  readonly password?: string;
  /** The time the certificates must be valid at. Default now. */
  readonly now?: Date;
}

const PEM_FILE = /^(osig|aut|enc(?:-[0-9]+)?)\.(crt|key)$/;
const PKCS12_FILE = /\.(p12|pfx)$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

async function readCardFile(path: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new KonnektorError('CARD_UNREADABLE', `${path} is not a file`, path);
    if (info.size > MAX_CARD_FILE_BYTES)
      throw new KonnektorError('CARD_UNREADABLE', `${path} is too large to be a card file`, path);
    return await readFile(path);
  } catch (error) {
    if (error instanceof KonnektorError) throw error;
    if (errorCode(error) === 'ENOENT') throw new KonnektorError('CARD_UNREADABLE', `${path} missing`, path);
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `cannot read ${path}: ${errorCode(error) ?? oneLine(error)}`,
      path,
    );
  }
}

/** The first certificate of a PEM file, or the file itself when it is DER. */
function certificateDer(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const pem = PEM_CERTIFICATE.exec(text);
  if (pem?.[1] !== undefined) return Buffer.from(pem[1].replace(/\s+/g, ''), 'base64');
  return data;
}

function pemPrivateKey(data: Buffer, path: string, password: string | undefined): KeyObject {
  const encrypted = data.toString('latin1').includes('ENCRYPTED');
  if (encrypted && password === undefined)
    throw new KonnektorError(
      'CARD_PASSWORD',
      `${path} is encrypted and needs a password (option password or ${CARD_PASSWORD_ENV})`,
      path,
    );
  try {
    return createPrivateKey(password === undefined ? { key: data } : { key: data, passphrase: password });
  } catch (error) {
    if (encrypted) throw new KonnektorError('CARD_PASSWORD', `${path}: wrong password`, path);
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `${path}: not a readable private key (${oneLine(error)})`,
      path,
    );
  }
}

function checkedRole(cert: CardCertificate, expected?: CardRole): CardRole {
  const role = roleOf(cert);
  if (role === undefined || (expected !== undefined && role !== expected))
    throw new KonnektorError(
      'CARD_INVALID',
      `${cert.file}: key usage (${describeKeyUsage(cert)}) does not fit ` +
        (expected !== undefined
          ? `an ${expected.toUpperCase()} certificate`
          : 'an OSIG, ENC or AUT certificate') +
        ' (OSIG needs nonRepudiation, ENC keyEncipherment, AUT digitalSignature)',
      cert.file,
    );
  return role;
}

async function readPemPair(
  dir: string,
  stem: string,
  names: ReadonlySet<string>,
  password?: string,
): Promise<CardKey> {
  const certFile = join(dir, `${stem}.crt`);
  const keyFile = join(dir, `${stem}.key`);
  if (!names.has(`${stem}.crt`))
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `${certFile} missing (${stem}.key has no certificate)`,
      certFile,
    );
  if (!names.has(`${stem}.key`))
    throw new KonnektorError('CARD_UNREADABLE', `${keyFile} missing (${stem}.crt has no key)`, keyFile);
  const certificate = readCardCertificate(certificateDer(await readCardFile(certFile)), certFile);
  const role = checkedRole(certificate, stem.startsWith('enc') ? 'enc' : (stem as CardRole));
  const key = pemPrivateKey(await readCardFile(keyFile), keyFile, password);
  checkKeyPair(certificate, key, keyFile);
  return { role, key, certificate, keyFile };
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

async function readPkcs12File(path: string, password: string | undefined): Promise<CardKey[]> {
  const data = await readCardFile(path);
  if (password === undefined)
    throw new KonnektorError(
      'CARD_PASSWORD',
      `${path} needs a password (option password or ${CARD_PASSWORD_ENV})`,
      path,
    );
  let contents;
  try {
    // Loaded only for PKCS#12 cards: the asn1-schema modules it needs cost a PEM card ~0.1 s.
    const { readPkcs12 } = await import('./pkcs12/readPkcs12.js');
    contents = readPkcs12(data, password);
  } catch (error) {
    if (!(error instanceof Pkcs12Error)) throw error;
    throw new KonnektorError(
      error.kind === 'PASSWORD' ? 'CARD_PASSWORD' : 'CARD_UNREADABLE',
      `${path}: ${error.message}`,
      path,
    );
  }
  if (contents.keys.length === 0)
    throw new KonnektorError('CARD_UNREADABLE', `${path}: holds no private key`, path);
  // Certificates without a key are the CA chain; keys find their certificate by public key.
  const certs = contents.certificates.map((der) => {
    try {
      return { der, spki: spki(new X509Certificate(der).publicKey) };
    } catch (error) {
      throw new KonnektorError(
        'CARD_UNREADABLE',
        `${path}: holds an unreadable certificate (${oneLine(error)})`,
        path,
      );
    }
  });
  return contents.keys.map((key) => {
    const own = spki(createPublicKey(key));
    const match = certs.find((c) => c.spki.equals(own));
    if (match === undefined)
      throw new KonnektorError('CARD_INVALID', `${path}: holds a private key without its certificate`, path);
    const certificate = readCardCertificate(match.der, path);
    return { role: checkedRole(certificate), key, certificate, keyFile: path };
  });
}

function describeValidity(cert: CardCertificate, now: Date): string {
  return now < cert.validFrom
    ? `is not valid before ${cert.validFrom.toISOString()}`
    : `expired on ${cert.validTo.toISOString()}`;
}

function single(keys: readonly CardKey[], role: CardRole, dir: string): CardKey {
  const [first, second] = keys.filter((k) => k.role === role);
  const name = role.toUpperCase();
  if (first === undefined)
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `${dir}: no ${name} key (expected ${role}.crt and ${role}.key, or a PKCS#12 file holding it)`,
      dir,
    );
  if (second !== undefined)
    throw new KonnektorError(
      'CARD_INVALID',
      `${second.keyFile}: a second ${name} key (the first is in ${first.keyFile})`,
      second.keyFile,
    );
  return first;
}

function assemble(keys: readonly CardKey[], dir: string, now: Date): LoadedCard {
  const osig = single(keys, 'osig', dir);
  const aut = single(keys, 'aut', dir);
  const enc = keys.filter((k) => k.role === 'enc');
  const [firstEnc] = enc;
  if (firstEnc === undefined)
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `${dir}: no ENC key (expected enc.crt and enc.key, or a PKCS#12 file holding it)`,
      dir,
    );
  for (const k of [osig, aut]) {
    if (!isValidAt(k.certificate, now))
      throw new KonnektorError(
        'CARD_INVALID',
        `${k.certificate.file}: the ${k.role.toUpperCase()} certificate ${describeValidity(k.certificate, now)}`,
        k.certificate.file,
      );
  }
  const encValid = enc.filter((k) => isValidAt(k.certificate, now));
  if (encValid.length === 0)
    throw new KonnektorError(
      'CARD_INVALID',
      `${firstEnc.certificate.file}: no currently valid ENC certificate (this one ${describeValidity(firstEnc.certificate, now)})`,
      firstEnc.certificate.file,
    );
  const telematikId = osig.certificate.telematikId;
  for (const k of [aut, ...enc]) {
    if (k.certificate.telematikId !== telematikId)
      throw new KonnektorError(
        'CARD_INVALID',
        `${k.certificate.file}: Telematik-ID ${k.certificate.telematikId} differs from ${telematikId} of the OSIG certificate ${osig.certificate.file}`,
        k.certificate.file,
      );
  }
  return { identity: { telematikId, holderName: osig.certificate.holderName }, osig, aut, enc, encValid };
}

/** Reads and checks the card in `dir`. Throws KonnektorError. */
export async function loadCard(dir: string, options: LoadCardOptions = {}): Promise<LoadedCard> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new KonnektorError('CARD_UNREADABLE', `card directory ${dir} not found`, dir);
    throw new KonnektorError(
      'CARD_UNREADABLE',
      `cannot read card directory ${dir}: ${code ?? oneLine(error)}`,
      dir,
    );
  }
  const password = options.password ?? process.env[CARD_PASSWORD_ENV];
  const nameSet = new Set(names);
  const stems = [...new Set(names.flatMap((n) => PEM_FILE.exec(n)?.[1] ?? []))].sort();
  const keys: CardKey[] = [];
  for (const stem of stems) keys.push(await readPemPair(dir, stem, nameSet, password));
  for (const name of names.filter((n) => PKCS12_FILE.test(n)).sort())
    keys.push(...(await readPkcs12File(join(dir, name), password)));
  return assemble(keys, dir, options.now ?? new Date());
}
