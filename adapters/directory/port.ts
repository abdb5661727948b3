/**
 * Where the Clientmodul finds a recipient's encryption certificates (C.HCI.ENC / C.HP.ENC) by KIM
 * address. Stands in for the VZD (LDAP) and the Account Manager until those adapters exist.
 */
export interface CertificateDirectory {
  /**
   * The encryption certificates (DER) published for `address`; empty when the address is
   * unknown. Addresses compare case-insensitively. Throws DirectoryError when the directory
   * itself or the address's entry is unreadable.
   */
  encryptionCertificates(address: string): Promise<readonly Buffer[]>;
}
