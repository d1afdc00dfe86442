/**
 * Structured JSON logging (pino): one line per event, cheap on the hot path, and easy to ship to
 * any log pipeline. Secrets never go through here: log ids, never keys or tokens.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'fleetgate' } });
}

/** A logger that drops everything, for tests (TEST_LOG_LEVEL=error shows what a failing test logged). */
export function silentLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}
