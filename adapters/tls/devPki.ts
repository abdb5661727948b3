/**
 * A development PKI for the Fachdienst: a self-signed root CA, a TLS server certificate (the
 * C.FD.TLS-S analogue) and one relay certificate per provider domain. For tests, demos and
 * local setups only; a real deployment uses certificates from the TI PKI.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import type { webcrypto as WebCrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as x509 from '@peculiar/x509';
import { DevPkiError } from './errors.js';
import { isHostname, isIpAddress, isKimDomain } from './names.js';

// @peculiar/x509 types its provider as the DOM `Crypto`, which this project (no DOM lib) does not
// declare; Node's webcrypto is that implementation.
x509.cryptoProvider.set(webcrypto);

/**
 * RSA-3072 for the root: it is generated once per PKI (~0.6 s here), lives 10 years and
 * matches the TI minimum for CA keys, so dev chains look like real ones. Leaves use RSA-2048
 * (~0.15 s each) like today's TI TLS certificates.
 */
export const DEV_CA_KEY_BITS = 3072;
export const DEV_LEAF_KEY_BITS = 2048;

export const DEV_CA_SUBJECT = 'CN=KIM Development CA,O=KIM Provider Stack (development only)';
const ORGANIZATION = 'O=KIM Provider Stack (development only)';

/** Tolerance for clocks that are a little behind the one that issued the certificates. */
const BACKDATE_MS = 5 * 60_000;

export interface DevPkiOptions {
  /** The KIM domains the Fachdienst serves (`praxis.kim.test`). At least one. */
  readonly domains: readonly string[];
  /** Extra DNS names of the server certificate. Default `['localhost']`. */
  readonly hostnames?: readonly string[];
  /** IP addresses of the server certificate. Default `['127.0.0.1', '::1']`. */
  readonly ipAddresses?: readonly string[];
  /** Provider domains to issue relay certificates for. Default: `domains`. */
  readonly providers?: readonly string[];
  /** Issue time. Default now. */
  readonly now?: Date;
  /** Replace an existing PKI in `outDir`. Default false. */
  readonly force?: boolean;
}

export interface DevPkiFiles {
  readonly cert: string;
  readonly key: string;
}

export interface DevPkiResult {
  readonly dir: string;
  readonly ca: DevPkiFiles;
  readonly server: DevPkiFiles;
  readonly providers: readonly (DevPkiFiles & { readonly domain: string })[];
  /** The subjectAltNames of the server certificate, e.g. `DNS:localhost`, `IP:127.0.0.1`. */
  readonly serverNames: readonly string[];
}

interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
}

const RSA_ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

async function rsaKeys(bits: number): Promise<WebCrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ ...RSA_ALGORITHM, modulusLength: bits }, true, ['sign', 'verify']);
}

async function privateKeyPem(key: WebCrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A random positive serial of 16 bytes whose DER encoding needs no leading zero byte. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function checkNames(kind: string, values: readonly string[], valid: (v: string) => boolean): string[] {
  const normalized = values.map((v) => v.trim().toLowerCase());
  for (const value of normalized) {
    if (!valid(value)) throw new DevPkiError('PKI_INVALID_NAME', `invalid ${kind} '${value}'`);
  }
  return unique(normalized);
}

async function issueCa(
  now: Date,
): Promise<{ issued: Issued; keys: WebCrypto.CryptoKeyPair; cert: x509.X509Certificate }> {
  const keys = await rsaKeys(DEV_CA_KEY_BITS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: DEV_CA_SUBJECT,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: addYears(now, 10),
    keys,
    signingAlgorithm: RSA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    issued: { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) },
    keys,
    cert,
  };
}

async function issueLeaf(
  ca: { keys: WebCrypto.CryptoKeyPair; cert: x509.X509Certificate },
  subject: string,
  names: x509.JsonGeneralNames,
  now: Date,
  years: number,
): Promise<Issued> {
  const keys = await rsaKeys(DEV_LEAF_KEY_BITS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: addYears(now, years),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: RSA_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) };
}

/** Writes via a temporary file and rename, so a reader never sees half a key or certificate. */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask may have taken bits away; keys must end up exactly 0600
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function removeStaleProviderFiles(dir: string, keep: ReadonlySet<string>): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (/\.(crt|key)$/.test(entry) && !keep.has(entry)) await rm(join(dir, entry), { force: true });
  }
}

/**
 * Creates the development PKI in `outDir`:
 * `ca.crt`, `ca.key`, `server.crt`, `server.key`, `providers/<domain>.crt|.key`.
 * Keys are written with mode 0600. Refuses (`PKI_EXISTS`) when `outDir` already holds
 * `ca.key` or `server.key`, unless `force` is set.
 */
export async function createDevPki(outDir: string, options: DevPkiOptions): Promise<DevPkiResult> {
  const domains = checkNames('domain', options.domains, isKimDomain);
  if (domains.length === 0) throw new DevPkiError('PKI_INVALID_NAME', 'at least one domain is required');
  const hostnames = checkNames('host name', options.hostnames ?? ['localhost'], isHostname);
  const ips = checkNames('IP address', options.ipAddresses ?? ['127.0.0.1', '::1'], isIpAddress);
  const providers = checkNames('provider domain', options.providers ?? domains, isKimDomain);
  const now = options.now ?? new Date();

  const dir = resolve(outDir);
  const providerDir = join(dir, 'providers');
  const result: DevPkiResult = {
    dir,
    ca: { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') },
    server: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') },
    providers: providers.map((domain) => ({
      domain,
      cert: join(providerDir, `${domain}.crt`),
      key: join(providerDir, `${domain}.key`),
    })),
    serverNames: [
      ...unique([...domains, ...domains.map((d) => `mail.${d}`), ...hostnames]).map((n) => `DNS:${n}`),
      ...ips.map((ip) => `IP:${ip}`),
    ],
  };
  if (options.force !== true) {
    for (const existing of [result.ca.key, result.server.key]) {
      if (existsSync(existing))
        throw new DevPkiError('PKI_EXISTS', `${existing} already exists; refusing to overwrite (use force)`);
    }
  }

  const ca = await issueCa(now);
  const server = await issueLeaf(
    ca,
    `CN=${domains[0] ?? ''},${ORGANIZATION}`,
    result.serverNames.map((n) =>
      n.startsWith('IP:') ? { type: 'ip', value: n.slice(3) } : { type: 'dns', value: n.slice(4) },
    ),
    now,
    2,
  );
  const relays: Issued[] = [];
  for (const domain of providers) {
    relays.push(
      await issueLeaf(ca, `CN=${domain},${ORGANIZATION}`, [{ type: 'dns', value: domain }], now, 2),
    );
  }

  await mkdir(providerDir, { recursive: true, mode: 0o700 });
  if (options.force === true) {
    await removeStaleProviderFiles(providerDir, new Set(providers.flatMap((d) => [`${d}.crt`, `${d}.key`])));
  }
  await writeAtomic(result.ca.key, ca.issued.keyPem, 0o600);
  await writeAtomic(result.ca.cert, ca.issued.certPem, 0o644);
  await writeAtomic(result.server.key, server.keyPem, 0o600);
  await writeAtomic(result.server.cert, server.certPem, 0o644);
  for (const [i, files] of result.providers.entries()) {
    const issued = relays[i];
    if (issued === undefined) continue;
    await writeAtomic(files.key, issued.keyPem, 0o600);
    await writeAtomic(files.cert, issued.certPem, 0o644);
  }
  return result;
}
