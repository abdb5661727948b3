/**
 * asn1js limits for parsing card files (certificates, PKCS#12). These are small structures, so
 * anything near the limits is not a card file; the limits keep a hostile file cheap to reject.
 */
export const CARD_ASN1_LIMITS = { maxContentLength: 1024 * 1024, maxNodes: 10_000, maxDepth: 64 } as const;

/** Card files larger than this are refused before parsing. */
export const MAX_CARD_FILE_BYTES = 1024 * 1024;
