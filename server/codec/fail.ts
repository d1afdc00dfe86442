/**
 * The one way codec modules report bad input: a `PackedDataError` with a stable code. Kept in its
 * own tiny module so every decoder throws the same class with the same wording conventions, and
 * so the list of codes the codec can emit is visible in one place (SPEC.md §9 mirrors it).
 */
import { PackedDataError } from '../errors.ts';
import type { CodecErrorCode } from '../protocol/limits.ts';

/** Error codes the codec emits (listed in server/protocol/limits.ts). Never renamed or reused. */
export type { CodecErrorCode };

export function fail(message: string, code: CodecErrorCode = 'bad_packed_data'): never {
  throw new PackedDataError(message, code);
}
