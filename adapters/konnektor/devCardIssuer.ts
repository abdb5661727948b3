/**
 * Issues a development institution card (SMC-B) from the dev PKI, shaped like the TI's:
 * C.HCI.OSIG, C.HCI.ENC and C.HCI.AUT (RSA-2048), each with the institution's name as subject
 * commonName and the Telematik-ID in the admission extension, signed by the dev SMC-B CA
 * (root → SMC-B CA → card). For tests, demos and local setups only.
 */
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { DEV_LEAF_KEY_BITS } from '../tls/devPki.js';
import { ADMISSION_OID, encodeAdmission, isPrintableString } from './admission.js';
import { DevCardError } from './devCardError.js';
import {
  addYears,
  BACKDATE_MS,
  loadOrCreateSmcbCa,
  privateKeyPem,
  randomSerial,
  ROOT_CA_FILES,
  RSA_SIGNING,
  SMCB_CA_FILES,
} from './devSmcbCa.js';
import type { SmcbCa } from './devSmcbCa.js';
import { writePkcs12 } from './pkcs12/writePkcs12.js';
import { writeFileAtomic } from './writeFileAtomic.js';

x509.cryptoProvider.set(webcrypto);

/** gemSpec_OID: oid_policy_gem_or_cp, carried by every TI certificate. */
const POLICY_GEM_OR_CP = '1.2.276.0.76.4.163';
const POLICIES = {
  osig: ['1.2.276.0.76.4.78'], // oid_smc_b_osig
  enc: ['1.2.276.0.76.4.76'], // oid_smc_b_enc
  aut: ['1.2.276.0.76.4.77'], // oid_smc_b_aut
} as const;

const USAGES = {
  osig: x509.KeyUsageFlags.nonRepudiation,
  enc: x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment,
  aut: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
} as const;

type Role = keyof typeof USAGES;
const ROLES: readonly Role[] = ['osig', 'enc', 'aut'];

/** oid_praxis_arzt with its profession item: a doctor's practice, the most common SMC-B. */
export const DEFAULT_PROFESSION = { oid: '1.2.276.0.76.4.50', item: 'Betriebsstätte Arzt' } as const;

const ORGANIZATION = 'KIM Provider Stack (development only)';
const CARD_YEARS = 5;
const MAX_TELEMATIK_ID = 128;
/** ub-common-name (X.520). */
const MAX_NAME = 64;

export const CARD_P12_FILE = 'card.p12';

export interface DevCardOptions {
  /** The dev PKI directory (`kim pki init --out`). The SMC-B CA is created there on first use. */
  readonly pkiDir: string;
  /** e.g. `1-2.58.00000040`: 1–128 PrintableString characters. */
  readonly telematikId: string;
  /** The institution's name, the subject commonName (1–64 characters). */
  readonly name: string;
  readonly outDir: string;
  /** Write one `card.p12` with this password instead of PEM files. */
  readonly p12Password?: string;
  /** Replace a card already in `outDir`. */
  readonly force?: boolean;
  readonly now?: Date;
  /** The admission's profession (institution type). Default: doctor's practice. */
  readonly profession?: { readonly oid: string; readonly item: string };
}

export interface DevCardResult {
  readonly dir: string;
  readonly telematikId: string;
  readonly name: string;
  /** The files written to `dir`, in order. */
  readonly files: readonly string[];
  /** The SMC-B CA in the PKI directory, and whether this call created it. */
  readonly smcbCa: { readonly cert: string; readonly key: string; readonly created: boolean };
  /** The ENC certificate(s), DER, e.g. to publish in a certificate directory. */
  readonly encryptionCertificates: readonly Buffer[];
}

function checkInput(options: DevCardOptions): void {
  const id = options.telematikId;
  if (id === '' || id.length > MAX_TELEMATIK_ID || !isPrintableString(id))
    throw new DevCardError(
      'CARD_INVALID_INPUT',
      `invalid Telematik-ID ${JSON.stringify(id)}: use 1-${MAX_TELEMATIK_ID} characters of A-Z a-z 0-9 space ' ( ) + , - . / : = ? (e.g. 1-2.58.00000040)`,
    );
  const name = options.name;
  if (name.trim() === '' || name.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(name))
    throw new DevCardError(
      'CARD_INVALID_INPUT',
      `invalid name: use 1-${MAX_NAME} characters without control characters`,
    );
  if (options.p12Password === '')
    throw new DevCardError('CARD_INVALID_INPUT', 'the PKCS#12 password must not be empty');
}

const CARD_FILE = /^(osig|aut|enc(?:-[0-9]+)?)\.(crt|key)$|^card\.p12$/;

async function existingCardFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => CARD_FILE.test(name));
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
}

interface IssuedCert {
  readonly role: Role;
  readonly cert: x509.X509Certificate;
  readonly keyPem: string;
}

async function issueCardCert(
  ca: SmcbCa,
  role: Role,
  options: DevCardOptions,
  admission: Buffer,
  now: Date,
): Promise<IssuedCert> {
  const keys = await webcrypto.subtle.generateKey(
    { ...RSA_SIGNING, modulusLength: DEV_LEAF_KEY_BITS },
    true,
    ['sign', 'verify'],
  );
  const notAfter = addYears(now, CARD_YEARS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    // A JSON name, so commas or plus signs in the institution's name are not read as syntax.
    subject: [{ C: ['DE'] }, { O: [ORGANIZATION] }, { CN: [options.name] }],
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfter < ca.cert.notAfter ? notAfter : ca.cert.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: RSA_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(USAGES[role], true),
      new x509.CertificatePolicyExtension([POLICY_GEM_OR_CP, ...POLICIES[role]]),
      new x509.Extension(ADMISSION_OID, false, admission),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  return { role, cert, keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * Issues an SMC-B (OSIG, ENC, AUT) into `outDir`: PEM files `<role>.crt`/`<role>.key` (keys 0600)
 * or, with `p12Password`, one `card.p12`; plus `smcb-ca.crt` and `ca.crt` so the chain validates.
 * Throws DevCardError: CARD_INVALID_INPUT, PKI_MISSING, PKI_INVALID, CARD_EXISTS.
 */
export async function issueDevCard(options: DevCardOptions): Promise<DevCardResult> {
  checkInput(options);
  const dir = resolve(options.outDir);
  const existing = await existingCardFiles(dir);
  if (existing.length > 0 && options.force !== true)
    throw new DevCardError(
      'CARD_EXISTS',
      `${dir} already holds a card (${existing.sort().join(', ')}); refusing to overwrite (use force)`,
    );
  const now = options.now ?? new Date();
  const ca = await loadOrCreateSmcbCa(resolve(options.pkiDir), now);
  const admission = encodeAdmission({
    telematikId: options.telematikId,
    professionItem: (options.profession ?? DEFAULT_PROFESSION).item,
    professionOid: (options.profession ?? DEFAULT_PROFESSION).oid,
  });
  const issued = await Promise.all(ROLES.map((role) => issueCardCert(ca, role, options, admission, now)));

  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Old card files would otherwise be read alongside the new ones (e.g. PEM next to card.p12).
  for (const name of existing) await rm(join(dir, name), { force: true });
  const files: string[] = [];
  const write = async (name: string, data: string | Buffer, mode: number): Promise<void> => {
    await writeFileAtomic(join(dir, name), data, mode);
    files.push(join(dir, name));
  };
  if (options.p12Password !== undefined) {
    const p12 = writePkcs12({
      entries: issued.map((i) => ({
        key: createPrivateKey(i.keyPem),
        certificate: Buffer.from(i.cert.rawData),
        name: i.role,
      })),
      chain: [Buffer.from(ca.cert.rawData)],
      password: options.p12Password,
    });
    await write(CARD_P12_FILE, p12, 0o600);
  } else {
    for (const i of issued) {
      await write(`${i.role}.key`, i.keyPem, 0o600);
      await write(`${i.role}.crt`, i.cert.toString('pem') + '\n', 0o644);
    }
  }
  await write(SMCB_CA_FILES.cert, ca.certPem, 0o644);
  await write(ROOT_CA_FILES.cert, ca.root.certPem, 0o644);
  return {
    dir,
    telematikId: options.telematikId,
    name: options.name,
    files,
    smcbCa: { ...ca.files, created: ca.created },
    encryptionCertificates: issued.filter((i) => i.role === 'enc').map((i) => Buffer.from(i.cert.rawData)),
  };
}
