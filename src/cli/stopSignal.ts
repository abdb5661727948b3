import type { Logger } from '../logging/logger.js';

/**
 * Resolves with the first SIGINT or SIGTERM. Install it before starting a service, so a signal
 * at any moment from then on means a graceful stop; a repeated signal during that stop is
 * ignored rather than killing the process half-way.
 */
export function stopSignal(log: Logger): Promise<string> {
  return new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping');
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
