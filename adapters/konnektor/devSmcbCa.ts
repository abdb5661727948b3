/**
 * The "SMC-B CA" of the development PKI: an intermediate under the dev root (`kim pki init`) that
 * issues the development institution cards, as the TI's SMC-B CAs sit under the TI root. Created
 * in the PKI directory on first use (smcb-ca.crt, smcb-ca.key) and re-created when the root it
 * was issued by has been replaced.
 */
import 'reflect-metadata';
import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import type { webcrypto as WebCrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { DEV_CA_KEY_BITS } from '../tls/devPki.js';
import { DevCardError } from './devCardError.js';
import { writeFileAtomic } from './writeFileAtomic.js';

x509.cryptoProvider.set(webcrypto);

export const DEV_SMCB_CA_SUBJECT = 'CN=KIM Development SMC-B CA,O=KIM Provider Stack (development only)';
export const SMCB_CA_FILES = { cert: 'smcb-ca.crt', key: 'smcb-ca.key' } as const;
export const ROOT_CA_FILES = { cert: 'ca.crt', key: 'ca.key' } as const;

export const RSA_SIGNING = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

/** Tolerance for clocks a little behind the one that issued the certificates (as in devPki). */
export const BACKDATE_MS = 5 * 60_000;

export interface DevCa {
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  readonly signingKey: WebCrypto.CryptoKey;
  /** The public key as webcrypto sees it, for the AuthorityKeyIdentifier of issued certificates. */
  readonly publicKey: WebCrypto.CryptoKey;
}

export interface SmcbCa extends DevCa {
  readonly root: DevCa;
  readonly files: { readonly cert: string; readonly key: string };
  /** True when this call created (or replaced) the SMC-B CA. */
  readonly created: boolean;
}

export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

export function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

export async function privateKeyPem(key: WebCrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function readPair(
  certPath: string,
  keyPath: string,
): Promise<{ cert: string; key: string } | undefined> {
  try {
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new DevCardError('PKI_INVALID', `cannot read ${certPath} or ${keyPath}: ${String(error)}`);
  }
}

async function importCa(certPem: string, keyPem: string, certPath: string): Promise<DevCa> {
  try {
    const nodeCert = new X509Certificate(certPem);
    const nodeKey = createPrivateKey(keyPem);
    if (!nodeCert.checkPrivateKey(nodeKey))
      throw new DevCardError('PKI_INVALID', `${certPath}: the CA key does not belong to the CA certificate`);
    const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', der, RSA_SIGNING, false, ['sign']);
    const spki = nodeCert.publicKey.export({ type: 'spki', format: 'der' });
    const publicKey = await webcrypto.subtle.importKey('spki', spki, RSA_SIGNING, true, ['verify']);
    return { cert: new x509.X509Certificate(certPem), certPem, signingKey, publicKey };
  } catch (error) {
    if (error instanceof DevCardError) throw error;
    throw new DevCardError('PKI_INVALID', `${certPath}: unreadable CA certificate or key`);
  }
}

async function issueSmcbCa(root: DevCa, now: Date): Promise<{ ca: DevCa; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey({ ...RSA_SIGNING, modulusLength: DEV_CA_KEY_BITS }, true, [
    'sign',
    'verify',
  ]);
  const notAfter = addYears(now, 8);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: DEV_SMCB_CA_SUBJECT,
    issuer: root.cert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: notAfter < root.cert.notAfter ? notAfter : root.cert.notAfter,
    publicKey: keys.publicKey,
    signingKey: root.signingKey,
    signingAlgorithm: RSA_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  return {
    ca: { cert, certPem, signingKey: keys.privateKey, publicKey: keys.publicKey },
    keyPem: await privateKeyPem(keys.privateKey),
  };
}

/** Whether `ca` was issued by `root` (signature check), so a replaced root is noticed. */
function issuedBy(ca: DevCa, root: DevCa): boolean {
  const child = new X509Certificate(ca.certPem);
  const parent = new X509Certificate(root.certPem);
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * The dev root and SMC-B CA of the PKI in `pkiDir`, creating the SMC-B CA when it is missing or
 * was issued by another root. Not safe against two processes creating it at the same moment.
 */
export async function loadOrCreateSmcbCa(pkiDir: string, now: Date): Promise<SmcbCa> {
  const rootCert = join(pkiDir, ROOT_CA_FILES.cert);
  const rootFiles = await readPair(rootCert, join(pkiDir, ROOT_CA_FILES.key));
  if (rootFiles === undefined)
    throw new DevCardError(
      'PKI_MISSING',
      `${pkiDir} holds no development PKI (ca.crt and ca.key); run 'kim pki init --out ${pkiDir} --domain ...' first`,
    );
  const root = await importCa(rootFiles.cert, rootFiles.key, rootCert);
  const files = { cert: join(pkiDir, SMCB_CA_FILES.cert), key: join(pkiDir, SMCB_CA_FILES.key) };
  const existing = await readPair(files.cert, files.key);
  if (existing !== undefined) {
    const ca = await importCa(existing.cert, existing.key, files.cert);
    if (issuedBy(ca, root)) return { ...ca, root, files, created: false };
  }
  const { ca, keyPem } = await issueSmcbCa(root, now);
  await writeFileAtomic(files.key, keyPem, 0o600);
  await writeFileAtomic(files.cert, ca.certPem, 0o644);
  return { ...ca, root, files, created: true };
}
