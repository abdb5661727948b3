import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logs. They carry ids, sizes, digests and positions, never message bodies,
 * subjects, passwords or keys; the redact list is a second line of defence for fields that
 * should never have been logged in the first place.
 */
export function createLogger(
  options: { level?: string; service?: string; destination?: number } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env['KIM_LOG_LEVEL'] ?? 'info',
      base: { service: options.service ?? 'kim' },
      redact: {
        paths: [
          'password',
          '*.password',
          'pass',
          '*.pass',
          'passwordHash',
          '*.passwordHash',
          'authorization',
          '*.authorization',
          'subject',
          '*.subject',
          'body',
          '*.body',
          'key',
          '*.key',
          'privateKey',
          '*.privateKey',
        ],
        censor: '[REDACTED]',
      },
      serializers: { err: pino.stdSerializers.err },
    },
    pino.destination({ fd: options.destination ?? 2, sync: false }),
  );
}

/** A logger that drops everything (tests, tools that print their own output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
