/** A configuration value that cannot be used; the message names the flag and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG';
}
