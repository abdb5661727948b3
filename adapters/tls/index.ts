export { createDevPki, DEV_CA_KEY_BITS, DEV_CA_SUBJECT, DEV_LEAF_KEY_BITS } from './devPki.js';
export type { DevPkiFiles, DevPkiOptions, DevPkiResult } from './devPki.js';
export { DevPkiError, TlsConfigError } from './errors.js';
export type { DevPkiErrorCode } from './errors.js';
export { checkCertificate, loadTlsCredentials, TLS_CIPHERS, TLS_FILES, tlsServerOptions } from './loadTls.js';
export type { CertificateInfo, LoadTlsOptions, TlsCredentials, TlsServerOptionsExtra } from './loadTls.js';
export { isHostname, isIpAddress, isKimDomain } from './names.js';
