/**
 * The named checks of OTA image verification and the one error type that reports a failed check.
 * Names are part of the wire contract (SPEC.md §7, the test vectors, the CLI's output and the
 * device simulator all use them), so a name is never renamed or reused. The error extends the
 * gateway's ValidationError so a route that verifies an upload or a manifest maps it to a 400
 * without special cases; `check` and `chunk` say precisely what failed.
 */
import { ValidationError } from '../errors.ts';
import { OTA_CHECKS } from '../protocol/limits.ts';

/** The check names, in their one place (server/protocol/limits.ts, shared with the firmware). */
export const VERIFY_CHECKS = OTA_CHECKS;

export type VerifyCheck = (typeof VERIFY_CHECKS)[number];

/**
 * One failed check. `chunk` is set for per-chunk failures and `page` for hash-page failures, so
 * the caller can refetch exactly that chunk or page.
 */
export class FirmwareCheckError extends ValidationError {
  readonly check: VerifyCheck;
  readonly chunk: number | undefined;
  readonly page: number | undefined;

  constructor(check: VerifyCheck, message: string, chunk?: number, page?: number) {
    super(message, 'firmware_check_failed', { check, ...(chunk === undefined ? {} : { chunk }), ...(page === undefined ? {} : { page }) });
    this.check = check;
    this.chunk = chunk;
    this.page = page;
  }
}

export function isFirmwareCheckError(err: unknown): err is FirmwareCheckError {
  return err instanceof FirmwareCheckError;
}
