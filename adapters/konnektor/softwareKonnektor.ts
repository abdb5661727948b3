/**
 * A Konnektor in software: the key operations of one SMC-B whose keys are files (see
 * cardDirectory.ts). For development, tests and setups without a hardware Konnektor. The private
 * keys live in private fields as KeyObjects: no method returns them and nothing logs them.
 */
import { constants, privateDecrypt, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { loadCard } from './cardDirectory.js';
import type { CardKey, LoadCardOptions, LoadedCard } from './cardDirectory.js';
import { sameIssuerAndSerial } from '../crypto/certificate.js';
import { KonnektorError } from './port.js';
import type { CardIdentity, IssuerAndSerial, Konnektor } from './port.js';

export type SoftwareKonnektorOptions = LoadCardOptions;

/** RSASSA-PSS as gemSpec_Krypt wants it: SHA-256, MGF1-SHA-256 (OpenSSL's default for PSS), salt 32. */
function signPss(key: KeyObject, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(
      'sha256',
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      (error, signature) => (error === null ? resolve(signature) : reject(error)),
    );
  });
}

function describeRid(rid: IssuerAndSerial): string {
  return `serial ${rid.serialNumber.toString('hex')}`;
}

export class SoftwareKonnektor implements Konnektor {
  readonly card: CardIdentity;
  readonly #osig: CardKey;
  readonly #aut: CardKey;
  readonly #enc: readonly CardKey[];
  readonly #encValid: readonly Buffer[];

  private constructor(loaded: LoadedCard) {
    this.card = loaded.identity;
    this.#osig = loaded.osig;
    this.#aut = loaded.aut;
    this.#enc = loaded.enc;
    this.#encValid = loaded.encValid.map((k) => k.certificate.der);
  }

  /**
   * Loads and checks the card in `cardDir` (PEM and/or PKCS#12 files). The PKCS#12 password comes
   * from `options.password`, else the KIM_CARD_PASSWORD environment variable. Throws KonnektorError
   * (CARD_UNREADABLE, CARD_PASSWORD, CARD_INVALID) with a one-line message naming the file.
   */
  static async load(cardDir: string, options: SoftwareKonnektorOptions = {}): Promise<SoftwareKonnektor> {
    return new SoftwareKonnektor(await loadCard(cardDir, options));
  }

  signingCertificate(): Buffer {
    return Buffer.from(this.#osig.certificate.der);
  }

  /** The ENC certificates valid at load time (expired ones still decrypt but are not offered). */
  encryptionCertificates(): readonly Buffer[] {
    return this.#encValid.map((der) => Buffer.from(der));
  }

  authenticationCertificate(): Buffer {
    return Buffer.from(this.#aut.certificate.der);
  }

  signWithOsig(data: Buffer): Promise<Buffer> {
    return signPss(this.#osig.key, data);
  }

  signWithAut(data: Buffer): Promise<Buffer> {
    return signPss(this.#aut.key, data);
  }

  unwrapContentKey(rid: IssuerAndSerial, encryptedKey: Buffer): Promise<Buffer> {
    const enc = this.#enc.find((k) => sameIssuerAndSerial(k.certificate.rid, rid));
    if (enc === undefined)
      return Promise.reject(
        new KonnektorError('KEY_NOT_AVAILABLE', `the card holds no ENC key for ${describeRid(rid)}`),
      );
    try {
      return Promise.resolve(
        privateDecrypt(
          { key: enc.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          encryptedKey,
        ),
      );
    } catch {
      // OpenSSL's reason is deliberately not passed on: OAEP failures should all look alike.
      return Promise.reject(
        new KonnektorError(
          'DECRYPTION_FAILED',
          `RSA-OAEP unwrap with the ENC key for ${describeRid(rid)} failed`,
        ),
      );
    }
  }
}
