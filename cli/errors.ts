/**
 * Exit codes and the one error type CLI commands throw. `cli/main.ts` catches a CliError, prints
 * its message as one line on stderr (`fleetgate: <message>`) and exits with its code; anything
 * else is a bug and exits 70 with the stack only when FLEETGATE_DEBUG=1.
 */
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
