export { addressKey } from './address.js';
export { DirectoryError } from './errors.js';
export type { DirectoryErrorCode } from './errors.js';
export { FolderCertificateDirectory, openFolderDirectory } from './folderDirectory.js';
export type { FolderDirectoryOptions } from './folderDirectory.js';
export type { CertificateDirectory } from './port.js';
export { publishEncryptionCertificates } from './publish.js';
export { certificatesFromPem, PemError } from './pemCertificates.js';
