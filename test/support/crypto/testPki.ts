/**
 * A throw-away PKI for CMS tests, made with the openssl CLI in a temp dir: a CA and RSA-2048
 * end-entity certificates (OSIG-like for signing, ENC-like for encryption). Also a PSS signer
 * and an OAEP unwrap over node:crypto, standing in for the Konnektor.
 */
import { spawnSync } from 'node:child_process';
import { constants, createPrivateKey, privateDecrypt, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuerAndSerial } from '../../../adapters/konnektor/port.js';
import { KonnektorError } from '../../../adapters/konnektor/port.js';
import type { CmsSigner } from '../../../adapters/crypto/index.js';

export interface OpensslResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the openssl CLI (binary-safe stdout). */
export function openssl(
  args: readonly string[],
  options: { input?: Uint8Array; cwd?: string } = {},
): OpensslResult {
  const run = spawnSync('openssl', args, {
    input: options.input,
    cwd: options.cwd,
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.toString('utf8') };
}

function mustOpenssl(args: readonly string[], cwd: string): void {
  const result = openssl(args, { cwd });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

export interface TestIdentity {
  readonly name: string;
  /** Paths, for the openssl CLI. */
  readonly certPath: string;
  readonly keyPath: string;
  /** DER. */
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

export interface IssueOptions {
  /** `signing` gets nonRepudiation (C.HCI.OSIG), `encryption` keyEncipherment (C.HCI.ENC). */
  readonly usage?: 'signing' | 'encryption';
  /** Hex serial, e.g. `0x80...` to force a leading zero octet in the DER INTEGER. */
  readonly serial?: string;
  /** Certify this identity's key instead of a new one (a re-issued certificate). */
  readonly keyOf?: TestIdentity;
  /** Validity in days, default 10. */
  readonly days?: number;
}

export interface TestPki {
  readonly dir: string;
  readonly caPath: string;
  /** The CA certificate, DER. */
  readonly caCertificate: Buffer;
  issue(name: string, options?: IssueOptions): Promise<TestIdentity>;
  cleanup(): Promise<void>;
}

/**
 * The CA subject has several RDNs in a non-alphabetical order and mixed string types, so that
 * a re-encoded or re-ordered issuer would not equal the certificate's bytes.
 */
const CA_SUBJECT =
  '/C=DE/O=gematik GmbH NOT-VALID/OU=Institution des Gesundheitswesens-CA/CN=TEST-ONLY KIM-CA1';

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'kim-cms-'));
  mustOpenssl(
    [
      ...'req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30'.split(' '),
      ...['-subj', CA_SUBJECT, '-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  );
  const caPath = join(dir, 'ca.pem');
  let counter = 0;
  return {
    dir,
    caPath,
    caCertificate: Buffer.from(new X509Certificate(readFileSync(caPath)).raw),
    async issue(name, options = {}) {
      counter += 1;
      const base = `${counter}-${name.replace(/[^a-z0-9]/gi, '_')}`;
      const usage =
        options.usage === 'signing' ? 'digitalSignature,nonRepudiation' : 'keyEncipherment,dataEncipherment';
      await writeFile(
        join(dir, `${base}.ext`),
        `basicConstraints=CA:FALSE\nkeyUsage=critical,${usage}\nsubjectKeyIdentifier=hash\n` +
          `authorityKeyIdentifier=keyid\nextendedKeyUsage=emailProtection\n`,
      );
      const keyPath = options.keyOf?.keyPath ?? join(dir, `${base}.key`);
      const newKey =
        options.keyOf === undefined
          ? ['-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath]
          : ['-key', keyPath];
      mustOpenssl(
        ['req', '-new', ...newKey, '-out', `${base}.csr`, '-subj', `/C=DE/O=Praxis ${name}/CN=${name}`],
        dir,
      );
      const serial = options.serial === undefined ? ['-CAcreateserial'] : ['-set_serial', options.serial];
      mustOpenssl(
        [
          ...`x509 -req -in ${base}.csr -CA ca.pem -CAkey ca.key -extfile ${base}.ext -out ${base}.pem`.split(
            ' ',
          ),
          ...['-days', String(options.days ?? 10), ...serial],
        ],
        dir,
      );
      const certPath = join(dir, `${base}.pem`);
      return {
        name,
        certPath,
        keyPath,
        certificate: Buffer.from(new X509Certificate(readFileSync(certPath)).raw),
        privateKey: createPrivateKey(readFileSync(keyPath)),
      };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The Konnektor's signWithOsig, in software: RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32. */
export function pssSigner(identity: TestIdentity): CmsSigner {
  return {
    certificate: identity.certificate,
    sign: (data) =>
      Promise.resolve(
        sign('sha256', data, {
          key: identity.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        }),
      ),
  };
}

/**
 * The Konnektor's unwrapContentKey for a card holding `identities`' keys: RSAES-OAEP SHA-256;
 * KEY_NOT_AVAILABLE for other certificates, DECRYPTION_FAILED when OAEP fails.
 */
export function unwrapWith(
  identities: readonly TestIdentity[],
  ridOf: (certificate: Buffer) => IssuerAndSerial,
): (rid: IssuerAndSerial, encryptedKey: Buffer) => Promise<Buffer> {
  const keys = identities.map((identity) => ({ rid: ridOf(identity.certificate), key: identity.privateKey }));
  return (rid, encryptedKey) => {
    const found = keys.find(
      (k) => k.rid.issuer.equals(rid.issuer) && k.rid.serialNumber.equals(rid.serialNumber),
    );
    if (found === undefined)
      return Promise.reject(new KonnektorError('KEY_NOT_AVAILABLE', 'no such key on the card'));
    try {
      return Promise.resolve(
        privateDecrypt(
          { key: found.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          encryptedKey,
        ),
      );
    } catch {
      return Promise.reject(new KonnektorError('DECRYPTION_FAILED', 'OAEP unwrap failed'));
    }
  };
}

export function concat(chunks: readonly Uint8Array[]): Buffer {
  return Buffer.concat(chunks);
}

/** Writes `data` to `dir/name` and returns the path (inputs for the openssl CLI and `kim smime`). */
export async function writeIn(dir: string, name: string, data: Uint8Array | string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

/** A copy of `bytes` with the lowest bit of byte `index` flipped (negative: from the end). */
export function flipped(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}
