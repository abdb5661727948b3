/**
 * Writes a password-protected PKCS#12 file the way `openssl pkcs12 -export` (OpenSSL 3) does:
 * certificates in a PBES2-encrypted EncryptedData, each key in a pkcs8ShroudedKeyBag, key and
 * certificate linked by localKeyId (SHA-1 of the certificate) and named by friendlyName, MAC
 * HMAC-SHA256. Unlike the OpenSSL CLI it can hold several keys (a card's OSIG, ENC and AUT).
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ContentInfo, EncryptedContent, EncryptedContentInfo } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  PFX,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { EncryptedData } from '@peculiar/asn1-pkcs8';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { TAG, tlv } from '../der.js';
import { pbes2Encrypt } from './pbes2.js';
import { createMac } from './pkcs12Mac.js';
import { CmsEncryptedData, OID } from './pkcs12Schema.js';

/** OpenSSL's default (PKCS12_DEFAULT_ITER) for the key derivation and the MAC. */
export const PKCS12_ITERATIONS = 2048;

export interface Pkcs12Entry {
  readonly key: KeyObject;
  /** The key's certificate, DER. */
  readonly certificate: Buffer;
  /** friendlyName, e.g. `osig`. */
  readonly name: string;
}

export interface Pkcs12Input {
  readonly entries: readonly Pkcs12Entry[];
  /** CA certificates to include (DER), without keys. */
  readonly chain?: readonly Buffer[];
  readonly password: string;
  readonly iterations?: number;
}

const BMP_STRING = 0x1e;

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** A PKCS12Attribute; its constructor ignores its arguments (asn1-pfx 2.11.1), so set the fields. */
function attribute(attrId: string, value: Buffer): PKCS12Attribute {
  const attr = new PKCS12Attribute();
  attr.attrId = attrId;
  attr.attrValues = [toArrayBuffer(value)];
  return attr;
}

function attributes(entry: Pkcs12Entry): PKCS12Attribute[] {
  const localKeyId = createHash('sha1').update(entry.certificate).digest();
  return [
    attribute(OID.friendlyName, tlv(BMP_STRING, Buffer.from(entry.name, 'utf16le').swap16())),
    attribute(OID.localKeyId, tlv(TAG.octetString, localKeyId)),
  ];
}

function certBag(certificate: Buffer, attrs?: PKCS12Attribute[]): SafeBag {
  const bag = new CertBag({
    certId: OID.x509Certificate,
    certValue: AsnConvert.serialize(new OctetString(certificate)),
  });
  return new SafeBag({
    bagId: OID.certBag,
    bagValue: AsnConvert.serialize(bag),
    ...(attrs !== undefined ? { bagAttributes: attrs } : {}),
  });
}

function keyBag(entry: Pkcs12Entry, password: string, iterations: number): SafeBag {
  const pkcs8 = entry.key.export({ format: 'der', type: 'pkcs8' });
  const encrypted = pbes2Encrypt(pkcs8, password, iterations);
  const bag = new PKCS8ShroudedKeyBag({
    encryptionAlgorithm: encrypted.algorithm,
    encryptedData: new EncryptedData(encrypted.ciphertext),
  });
  return new SafeBag({
    bagId: OID.pkcs8ShroudedKeyBag,
    bagValue: AsnConvert.serialize(bag),
    bagAttributes: attributes(entry),
  });
}

function dataContentInfo(bytes: ArrayBuffer): ContentInfo {
  return new ContentInfo({ contentType: OID.data, content: AsnConvert.serialize(new OctetString(bytes)) });
}

export function writePkcs12(input: Pkcs12Input): Buffer {
  const iterations = input.iterations ?? PKCS12_ITERATIONS;
  const certs = new SafeContents([
    ...input.entries.map((entry) => certBag(entry.certificate, attributes(entry))),
    ...(input.chain ?? []).map((certificate) => certBag(certificate)),
  ]);
  const encryptedCerts = pbes2Encrypt(Buffer.from(AsnConvert.serialize(certs)), input.password, iterations);
  const encryptedData = new CmsEncryptedData();
  encryptedData.encryptedContentInfo = new EncryptedContentInfo({
    contentType: OID.data,
    contentEncryptionAlgorithm: encryptedCerts.algorithm,
    encryptedContent: new EncryptedContent({ value: new OctetString(encryptedCerts.ciphertext) }),
  });
  const keys = new SafeContents(input.entries.map((entry) => keyBag(entry, input.password, iterations)));
  const authSafe = Buffer.from(
    AsnConvert.serialize(
      new AuthenticatedSafe([
        new ContentInfo({ contentType: OID.encryptedData, content: AsnConvert.serialize(encryptedData) }),
        dataContentInfo(AsnConvert.serialize(keys)),
      ]),
    ),
  );
  const pfx = new PFX({
    version: 3,
    authSafe: dataContentInfo(toArrayBuffer(authSafe)),
    macData: createMac(authSafe, input.password, iterations),
  });
  return Buffer.from(AsnConvert.serialize(pfx));
}
