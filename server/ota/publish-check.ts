/**
 * What publishing a build checks, at the moment it is published: the signed manifest header with
 * the gateway's verification key as KEYS_DIR holds it then (verification-key.ts), the header
 * against the manifest's JSON copies, the chunk-hash table against the signed root, and every
 * ciphertext chunk as the store holds it, streamed (64 KiB at a time, never the whole image).
 * Any failure is a 409 whose code names the check:
 *
 *   no_verification_key   KEYS_DIR has no usable server_public_key.pem
 *   signature_invalid     the header names another key id, or its RSA-PSS signature fails
 *   manifest_invalid      a malformed manifest, or a JSON field that disagrees with the header
 *   hash_table_mismatch   the chunk-hash table does not rebuild the signed root
 *   chunk_hash_mismatch   a ciphertext chunk differs from its signed hash (`chunk` names it)
 *   image_size_mismatch   the stored ciphertext is not `encrypted_size` bytes
 *
 * The plaintext signature is not checked here: the gateway holds no AES key (devices check it,
 * and `fleetgate firmware verify` on a machine that has the key).
 */
import { ConflictError } from '../errors.ts';
import type { CatalogImage } from './catalog.ts';
import { isFirmwareCheckError, type VerifyCheck } from './checks.ts';
import { DIGEST, HashPages } from './hash-tree.ts';
import { ChunkCheck, type FirmwareImageRepo } from './image-store.ts';
import type { KeyLookup } from './verification-key.ts';
import { chunkRootOf } from './manifest.ts';
import { verifyManifest } from './verify.ts';

export const PUBLISH_CHECK_CODES: Readonly<Partial<Record<VerifyCheck, string>>> = {
  key_id: 'signature_invalid',
  manifest_signature: 'signature_invalid',
  manifest_format: 'manifest_invalid',
  header_format: 'manifest_invalid',
  manifest_mismatch: 'manifest_invalid',
  chunk_table: 'hash_table_mismatch',
  hash_page: 'hash_table_mismatch',
  chunk_hash: 'chunk_hash_mismatch',
  image_size: 'image_size_mismatch',
};

function refused(check: VerifyCheck, message: string, chunk?: number): ConflictError {
  return new ConflictError(`cannot publish: ${message}`, PUBLISH_CHECK_CODES[check] ?? 'manifest_invalid', { check, ...(chunk === undefined ? {} : { chunk }) });
}

/** Throws the 409 of the first check `image` fails with `key`; resolves when every check passed. */
export async function checkForPublish(image: CatalogImage, key: KeyLookup, store: FirmwareImageRepo): Promise<void> {
  if (!key.keys) throw new ConflictError(`cannot publish: the gateway has no usable verification key (${key.problem})`, 'no_verification_key');
  try {
    verifyManifest(image.manifest, key.keys);
  } catch (err) {
    if (isFirmwareCheckError(err)) throw refused(err.check, err.message);
    throw err;
  }
  const table = image.chunkHashes;
  const rebuilt = image.pages ? new HashPages(table, image.header.pageEntries).root : chunkRootOf(table);
  if (table.length !== image.header.totalChunks * DIGEST || !rebuilt.equals(image.header.root)) {
    throw refused(image.pages ? 'hash_page' : 'chunk_table', 'the chunk-hash table does not rebuild the signed root');
  }
  const check = new ChunkCheck(image);
  for await (const piece of store.stream(image.ref, 0)) {
    check.update(piece);
    if (check.overrun || check.failed) break;
  }
  const bad = check.finish();
  if (bad) throw refused(bad.check, bad.message, bad.chunk);
}
