/**
 * Exit codes, the one error type CLI commands throw, and the mapping of everything else onto
 * them. `cli/main.ts` prints a CliError's message as one line on stderr (`fleetgate: <message>`)
 * and exits with its code; commander's own usage errors print the same way and exit 2; anything
 * that maps to no code is a bug and exits 70, with the stack only when FLEETGATE_DEBUG=1.
 */
import { ConfigError, ConflictError, ValidationError } from '../server/errors.ts';
import { isFirmwareCheckError } from '../server/ota/checks.ts';

export const ExitCode = {
  ok: 0,
  /** A check ran and said no: signature or hash mismatch, verification failed. */
  verificationFailed: 1,
  /** Bad flags, arguments or input values. */
  usage: 2,
  /** A file could not be read or written. */
  io: 3,
  /** The gateway could not be reached or answered with an error. */
  remote: 4,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/** An errno code as words ("no space left on device"), else the code itself. */
export function errnoText(code: string | undefined): string {
  return (code && ERRNO_TEXT[code]) ?? code ?? 'unknown error';
}

/** Map what domain modules throw onto exit codes; unknown errors stay bugs (exit 70). */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  if (isFirmwareCheckError(err)) return new CliError(`verification failed [${err.check}]: ${err.message}`, ExitCode.verificationFailed);
  if (err instanceof ValidationError || err instanceof ConflictError) return new CliError(err.message, ExitCode.usage);
  if (err instanceof ConfigError) return new CliError(err.message, ExitCode.io);
  const errno = err as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    const what = ERRNO_TEXT[errno.code] ?? `${errno.code} (${errno.syscall})`;
    return new CliError(errno.path ? `${errno.path}: ${what}` : `${errno.syscall}: ${what}`, ExitCode.io);
  }
  return err;
}

/** Run an action body and rethrow its failure as a CliError where one applies. */
export async function cliAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    throw toCliError(err);
  }
}
