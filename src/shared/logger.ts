import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One JSON line per event. `name` (the replica name) is on every line so that logs from several
 * replicas can be read together. Secrets are redacted by path as a second line of defence; the
 * config summaries already leave them out.
 */
export function createLogger(level: string, base: Record<string, unknown>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['config.security.saslPassword', '*.password', '*["sasl.password"]', 'saslPassword'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
