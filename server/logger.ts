/**
 * Structured JSON logging (pino): one line per event, cheap on the hot path, and easy to ship to
 * any log pipeline. Secrets never go through here: log ids, never keys or tokens.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'fleetgate' } });
}

/** A logger that drops everything, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
