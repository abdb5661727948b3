import { ConfigError } from './configError.js';

/** A TCP port from a flag or variable; 0 asks the system for a free one. */
export function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new ConfigError(`${flag}: '${value}' is not a port number (0-65535)`);
  return n;
}

/** A non-negative whole number from a flag or variable. */
export function integer(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${flag}: '${value}' is not a whole number`);
  return Number(value);
}
