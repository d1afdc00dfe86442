/**
 * The named checks of OTA image verification and the one error type that reports a failed check.
 * Names are part of the wire contract (SPEC.md §7, the test vectors, the CLI's output and the
 * device simulator all use them), so a name is never renamed or reused. The error extends the
 * gateway's ValidationError so a route that verifies an upload or a manifest maps it to a 400
 * without special cases; `check` and `chunk` say precisely what failed.
 */
import { ValidationError } from '../errors.ts';

export const VERIFY_CHECKS = [
  /** The manifest JSON is not an object with the required fields of the right types. */
  'manifest_format',
  /** The binary header is malformed: magic, format version, size, reserved bytes, field ranges. */
  'header_format',
  /** The header names a signing or AES key id that the verifier does not hold. */
  'key_id',
  /** RSA-PSS signature over the header bytes does not verify with the public key. */
  'manifest_signature',
  /** A JSON field disagrees with the (authenticated) header. */
  'manifest_mismatch',
  /** security_counter is below the device's anti-rollback minimum. */
  'rollback',
  /** The chunk hash list has the wrong length or does not hash to the header's chunk root. */
  'chunk_table',
  /** Chunks were fed out of order (a retry of the expected chunk is always allowed). */
  'chunk_order',
  /** A chunk has the wrong length for its index. */
  'chunk_length',
  /** A chunk's SHA-256 differs from its entry in the chunk hash list: refetch that chunk. */
  'chunk_hash',
  /** The encrypted image file has the wrong size. */
  'image_size',
  /** The last block does not end in the PKCS#7 padding the sizes require (wrong AES key?). */
  'padding',
  /** finish() before every chunk was accepted. */
  'incomplete',
  /** SHA-256 of the decrypted image differs from the header's firmware hash. */
  'firmware_hash',
  /** RSA-PSS signature over the decrypted image does not verify. */
  'firmware_signature',
] as const;

export type VerifyCheck = (typeof VERIFY_CHECKS)[number];

/** One failed check. `chunk` is set for per-chunk failures so the caller can refetch exactly it. */
export class FirmwareCheckError extends ValidationError {
  readonly check: VerifyCheck;
  readonly chunk: number | undefined;

  constructor(check: VerifyCheck, message: string, chunk?: number) {
    super(message, 'firmware_check_failed', chunk === undefined ? { check } : { check, chunk });
    this.check = check;
    this.chunk = chunk;
  }
}

export function isFirmwareCheckError(err: unknown): err is FirmwareCheckError {
  return err instanceof FirmwareCheckError;
}
