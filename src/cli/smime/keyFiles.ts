/**
 * Certificates and private keys named on the command line (`--cert`, `--key`, `--ca`, `--to`):
 * PEM or DER, read bounded, every problem one line naming the file.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CARD_PASSWORD_ENV } from '../../../adapters/konnektor/cardDirectory.js';
import { CliError } from '../cliError.js';
import { MAX_KEY_FILE_BYTES, readFileBounded } from './readInput.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

function parseCertificate(der: Buffer, path: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new CliError(`${path}: not a readable X.509 certificate (${oneLine(error)})`, 1);
  }
}

/** Every certificate in the file: all PEM CERTIFICATE blocks, or the file itself as DER. */
export async function readCertificates(path: string): Promise<X509Certificate[]> {
  const data = await readFileBounded(path, MAX_KEY_FILE_BYTES);
  const text = data.toString('latin1');
  const blocks = [...text.matchAll(PEM_CERTIFICATE)].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
  if (blocks.length > 0) return blocks.map((der) => parseCertificate(der, path));
  if (text.includes('-----BEGIN')) throw new CliError(`${path}: holds no PEM CERTIFICATE block`, 1);
  return [parseCertificate(data, path)];
}

/** The first certificate in the file (the end-entity certificate when a chain follows it). */
export async function readCertificate(path: string): Promise<X509Certificate> {
  const [first] = await readCertificates(path);
  if (first === undefined) throw new CliError(`${path}: holds no certificate`, 1);
  return first;
}

/**
 * A private key: PEM (PKCS#8, PKCS#1, encrypted PKCS#8) or DER PKCS#8. `password` is only asked
 * for when the key is encrypted, so a plain key needs none.
 */
export async function readPrivateKey(
  path: string,
  password: () => Promise<string | undefined>,
): Promise<KeyObject> {
  const data = await readFileBounded(path, MAX_KEY_FILE_BYTES);
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN')) {
    try {
      return createPrivateKey({ key: data, format: 'der', type: 'pkcs8' });
    } catch (error) {
      throw new CliError(`${path}: not a readable private key (${oneLine(error)})`, 1);
    }
  }
  if (!text.includes('ENCRYPTED')) {
    try {
      return createPrivateKey(data);
    } catch (error) {
      throw new CliError(`${path}: not a readable private key (${oneLine(error)})`, 1);
    }
  }
  const passphrase = await password();
  if (passphrase === undefined)
    throw new CliError(
      `${path} is encrypted: set ${CARD_PASSWORD_ENV} or use --password-stdin with the message in a FILE`,
      1,
    );
  try {
    return createPrivateKey({ key: data, passphrase });
  } catch {
    throw new CliError(`${path}: wrong password (or not a readable private key)`, 1);
  }
}
