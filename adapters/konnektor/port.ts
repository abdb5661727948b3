/**
 * The Konnektor as the Clientmodul sees it: the key operations of one institution card (SMC-B).
 * The private keys stay behind this port; callers only ever hold certificates and results.
 * A hardware Konnektor (SOAP SignDocument/DecryptDocument) and the software Konnektor over key
 * files both implement it.
 */

/** RFC 5652 IssuerAndSerialNumber, byte-exact as in the certificate (KOM-LE-A_2115-02). */
export interface IssuerAndSerial {
  /** The issuer Name's DER, copied from the certificate, never re-encoded. */
  readonly issuer: Buffer;
  /** The serialNumber INTEGER's content octets (two's complement, as in the certificate). */
  readonly serialNumber: Buffer;
}

export interface CardIdentity {
  /** From the admission extension (1.3.36.8.3.3) of the card's certificates. */
  readonly telematikId: string;
  /** The institution's name (the certificates' subject commonName). */
  readonly holderName: string;
}

export interface Konnektor {
  readonly card: CardIdentity;
  /** C.HCI.OSIG, DER. */
  signingCertificate(): Buffer;
  /** C.HCI.ENC certificates (DER); usually one, more while a card is renewed. */
  encryptionCertificates(): readonly Buffer[];
  /** C.HCI.AUT, DER. */
  authenticationCertificate(): Buffer;
  /** RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over `data` with PrK.HCI.OSIG. */
  signWithOsig(data: Buffer): Promise<Buffer>;
  /** RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) over `data` with PrK.HCI.AUT (JWTs, PS256). */
  signWithAut(data: Buffer): Promise<Buffer>;
  /**
   * Unwraps a content-encryption key (RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label) with the
   * ENC key whose certificate `rid` names. Throws KonnektorError KEY_NOT_AVAILABLE when the card
   * holds no such key, DECRYPTION_FAILED when the unwrap fails.
   */
  unwrapContentKey(rid: IssuerAndSerial, encryptedKey: Buffer): Promise<Buffer>;
}

export type KonnektorErrorCode =
  | 'KEY_NOT_AVAILABLE'
  | 'DECRYPTION_FAILED'
  /** A card file is missing, cannot be read or parsed, or uses an unsupported format/algorithm. */
  | 'CARD_UNREADABLE'
  /** A PKCS#12 file needs a password that was not given, or the password is wrong. */
  | 'CARD_PASSWORD'
  /** The card material is readable but unusable: key/certificate mismatch, key usage, admission, validity. */
  | 'CARD_INVALID';

export class KonnektorError extends Error {
  override readonly name = 'KonnektorError';
  constructor(
    readonly code: KonnektorErrorCode,
    message: string,
    /** The card file at fault, when the problem is about one file. */
    readonly file?: string,
  ) {
    super(message);
  }
}
