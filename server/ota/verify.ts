/**
 * Device-side verification of an OTA image, in exactly the order SPEC.md §7 (and §11 for format 2)
 * prescribes, so the gateway's tests, the device simulator and `fleetgate firmware verify` all
 * exercise the same logic an ESP32 runs. `FirmwareVerifier` authenticates the manifest up front
 * (header signature, header/JSON agreement, anti-rollback; format 1 also its full chunk table),
 * then takes format 2's hash pages (each checked against the signed root with its inclusion
 * proof) and encrypted chunks one at a time: a page or chunk that fails is rejected *without
 * consuming state*, so the caller can refetch just that one; good chunks are decrypted on their own
 * (IV = previous ciphertext block) and fed to the plaintext hash and PSS verifier; `finish()`
 * checks hash and signature.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { FirmwareCheckError } from './checks.ts';
import { AES_BLOCK, aesCbcDecryptBlocks, pssVerify, pssVerifier, pssVerifyFinal, sha256, sha256Stream } from './crypto.ts';
import { DIGEST, HashPages, pageLeaf, parsePageAnswer, rootFromProof } from './hash-tree.ts';
import type { PublicKeys, VerifyKeys } from './keys.ts';
import {
  FORMAT_V1,
  assertManifestMatchesHeader,
  chunkRange,
  chunkRootOf,
  decodeBase64Field,
  headerOfManifest,
  packChunkHashes,
  parseManifest,
  type FirmwareManifest,
  type ManifestHeader,
} from './manifest.ts';

export interface VerifyOptions {
  /** Anti-rollback: reject images whose security_counter is below this (the device's stored value). */
  minCounter?: number;
}

export interface VerifiedManifest {
  manifest: FirmwareManifest;
  header: ManifestHeader;
  headerBytes: Buffer;
  /** Format 1: the chunk digests packed back to back (checked against chunk_root). Format 2: undefined. */
  chunkHashes: Buffer | undefined;
  signature: Buffer;
}

/** What a successful verification vouches for: the header's facts, the image hash as hex. */
export type VerifyResult = Pick<
  ManifestHeader,
  'version' | 'securityCounter' | 'originalSize' | 'encryptedSize' | 'chunkSize' | 'totalChunks' | 'keyId' | 'formatVersion'
> & { firmwareSha256: string };

/**
 * Steps 1–7 of SPEC.md §7 (step 7 only for format 1): everything that can be checked before the
 * first chunk or page arrives. Throws FirmwareCheckError naming the first failed check.
 */
export function verifyManifest(value: unknown, keys: PublicKeys | VerifyKeys, opts: VerifyOptions = {}): VerifiedManifest {
  const manifest = parseManifest(value);
  const { bytes: headerBytes, header } = headerOfManifest(manifest);
  if (header.keyId !== keys.keyId) {
    throw new FirmwareCheckError('key_id', `manifest signed with key ${header.keyId}, this verifier holds ${keys.keyId}`);
  }
  // A gateway holds no AES key (it serves ciphertext): the image's AES key id is the devices' check.
  if ('aesKeyId' in keys && header.aesKeyId !== keys.aesKeyId) {
    throw new FirmwareCheckError('key_id', `image encrypted with AES key ${header.aesKeyId}, this verifier holds ${keys.aesKeyId}`);
  }
  const manifestSignature = decodeBase64Field(manifest.manifest_signature, 'manifest_signature');
  if (!pssVerify(headerBytes, keys.publicKey, manifestSignature)) {
    throw new FirmwareCheckError('manifest_signature', `manifest signature does not verify with key ${keys.keyId}`);
  }
  assertManifestMatchesHeader(manifest, header);
  const minCounter = opts.minCounter ?? 0;
  if (header.securityCounter < minCounter) {
    throw new FirmwareCheckError('rollback', `security counter ${header.securityCounter} is below the minimum ${minCounter}`);
  }
  let chunkHashes: Buffer | undefined;
  if (manifest.format_version === FORMAT_V1) {
    if (manifest.chunk_hashes.length !== header.totalChunks) {
      throw new FirmwareCheckError('chunk_table', `chunk_hashes has ${manifest.chunk_hashes.length} entries, header says ${header.totalChunks}`);
    }
    chunkHashes = packChunkHashes(manifest.chunk_hashes);
    if (!chunkRootOf(chunkHashes).equals(header.root)) {
      throw new FirmwareCheckError('chunk_table', 'chunk_hashes do not hash to the signed chunk root');
    }
  }
  const signature = decodeBase64Field(manifest.signature, 'signature');
  return { manifest, header, headerBytes, chunkHashes, signature };
}

/** IV for decrypting chunk `index` alone: the image IV for chunk 0, else the last block of chunk index-1. */
export function chunkIv(index: number, imageIv: Uint8Array, previousChunk?: Uint8Array): Uint8Array {
  if (index === 0) return imageIv;
  if (!previousChunk || previousChunk.length < AES_BLOCK) throw new RangeError('chunk > 0 needs the previous encrypted chunk');
  return previousChunk.subarray(previousChunk.length - AES_BLOCK);
}

/** Decrypt whole blocks of one chunk with the given IV; PKCS#7 padding is left in place. */
export function decryptChunk(aesKey: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  return aesCbcDecryptBlocks(aesKey, iv, ciphertext);
}

/**
 * Check and strip the PKCS#7 padding of the final plaintext. The sizes fix the pad length
 * (encrypted_size - original_size, 1..16), so the check is exact rather than "whatever the last byte says".
 */
export function stripPadding(lastPlain: Buffer, padLength: number, chunk: number): Buffer {
  if (padLength < 1 || padLength > AES_BLOCK || lastPlain.length < padLength) {
    throw new FirmwareCheckError('padding', 'impossible padding length', chunk);
  }
  for (let i = lastPlain.length - padLength; i < lastPlain.length; i++) {
    if (lastPlain[i] !== padLength) {
      throw new FirmwareCheckError('padding', `bad PKCS#7 padding in the last chunk (wrong AES key or corrupt image)`, chunk);
    }
  }
  return lastPlain.subarray(0, lastPlain.length - padLength);
}

export class FirmwareVerifier {
  readonly manifest: FirmwareManifest;
  readonly header: ManifestHeader;
  /** Verified chunk digests: all of them (format 1) or the pages accepted so far (format 2). */
  private readonly table: Buffer;
  private readonly pageAccepted: boolean[];
  private readonly signature: Buffer;
  private readonly plainHash = sha256Stream();
  private readonly signatureCheck = pssVerifier();
  private iv: Uint8Array;
  private next = 0;
  private plainLength = 0;
  private finished = false;

  /** Runs the manifest checks immediately; throws FirmwareCheckError if any fails. */
  constructor(
    manifest: unknown,
    private readonly keys: VerifyKeys,
    opts: VerifyOptions = {},
  ) {
    const v = verifyManifest(manifest, keys, opts);
    this.manifest = v.manifest;
    this.header = v.header;
    this.table = v.chunkHashes ?? Buffer.alloc(v.header.totalChunks * DIGEST);
    this.pageAccepted = new Array<boolean>(v.header.totalPages).fill(false);
    this.signature = v.signature;
    this.iv = v.header.iv;
  }

  /** Index of the chunk acceptChunk expects next. */
  get nextChunk(): number {
    return this.next;
  }

  get complete(): boolean {
    return this.next === this.header.totalChunks;
  }

  /** Expected byte length of chunk `index` (chunk_size, or the remainder for the last one). */
  chunkLength(index: number): number {
    const { start, end } = chunkRange(this.header, index);
    return end - start;
  }

  /** Format 2: the hash page holding chunk `index`'s digest, if it has not been accepted yet. */
  pageNeeded(index: number): number | undefined {
    if (this.header.formatVersion === FORMAT_V1) return undefined;
    const page = Math.floor(index / this.header.pageEntries);
    return this.pageAccepted[page] ? undefined : page;
  }

  /**
   * Format 2 (SPEC §11.4): check a hash page answer for page `page` — shape, index, entry count,
   * and its inclusion proof against the signed hash_root — and keep its digests. On failure
   * ('hash_page') nothing changes: fetch the page again.
   */
  acceptPage(page: number, answer: Uint8Array): void {
    const h = this.header;
    const fail = (why: string): never => {
      throw new FirmwareCheckError('hash_page', `hash page ${page}: ${why}; refetch it`, undefined, page);
    };
    if (h.formatVersion === FORMAT_V1) fail('format 1 manifests carry their whole chunk table');
    if (!Number.isInteger(page) || page < 0 || page >= h.totalPages) fail(`out of range 0..${h.totalPages - 1}`);
    const a = parsePageAnswer(answer) ?? fail('malformed answer');
    if (a.page !== page) fail(`answer is for page ${a.page}`);
    const first = page * h.pageEntries;
    const count = Math.min(h.pageEntries, h.totalChunks - first);
    if (a.entries.length !== count * DIGEST) fail(`${a.entries.length / DIGEST} entries, expected ${count}`);
    const root = rootFromProof(pageLeaf(a.entries), page, h.totalPages, a.proof);
    if (!root || !root.equals(h.root)) fail('inclusion proof does not reach the signed hash_root');
    a.entries.copy(this.table, first * DIGEST);
    this.pageAccepted[page] = true;
  }

  /**
   * Verify and decrypt chunk `index`, returning its plaintext (padding stripped on the last chunk).
   * On chunk_order / chunk_length / chunk_hash failures nothing changes: fetch the chunk again.
   */
  acceptChunk(index: number, bytes: Uint8Array): Buffer {
    if (this.finished || index !== this.next) {
      throw new FirmwareCheckError('chunk_order', `expected chunk ${this.finished ? 'none (finished)' : this.next}, got chunk ${index}`, index);
    }
    const missing = this.pageNeeded(index);
    if (missing !== undefined) throw new FirmwareCheckError('hash_page', `hash page ${missing} of chunk ${index} not accepted yet`, index, missing);
    const expectedLength = this.chunkLength(index);
    if (bytes.length !== expectedLength) {
      throw new FirmwareCheckError('chunk_length', `chunk ${index} is ${bytes.length} bytes, expected ${expectedLength}`, index);
    }
    if (!sha256(bytes).equals(this.table.subarray(index * DIGEST, index * DIGEST + DIGEST))) {
      throw new FirmwareCheckError('chunk_hash', `chunk ${index} does not match its hash; refetch it`, index);
    }
    let plain = decryptChunk(this.keys.aesKey, this.iv, bytes);
    const isLast = index === this.header.totalChunks - 1;
    if (isLast) plain = stripPadding(plain, this.header.encryptedSize - this.header.originalSize, index);
    // Commit point: only a fully checked chunk advances the state.
    this.plainHash.update(plain);
    this.signatureCheck.update(plain);
    this.plainLength += plain.length;
    this.iv = Uint8Array.from(bytes.subarray(bytes.length - AES_BLOCK));
    this.next++;
    return plain;
  }

  /** Steps 10–11 of SPEC.md §7: plaintext size, SHA-256 and RSA-PSS signature. */
  finish(): VerifyResult {
    if (!this.complete) {
      throw new FirmwareCheckError('incomplete', `only ${this.next} of ${this.header.totalChunks} chunks accepted`);
    }
    if (this.finished) throw new FirmwareCheckError('chunk_order', 'finish() already called');
    this.finished = true;
    const digest = this.plainHash.digest();
    // Cannot differ given the padding check and the header's size invariants; kept as a cheap guard.
    if (this.plainLength !== this.header.originalSize) {
      throw new FirmwareCheckError('firmware_hash', `decrypted ${this.plainLength} bytes, expected ${this.header.originalSize}`);
    }
    if (!digest.equals(this.header.firmwareSha256)) {
      throw new FirmwareCheckError('firmware_hash', 'SHA-256 of the decrypted image differs from the signed hash');
    }
    if (!pssVerifyFinal(this.signatureCheck, this.keys.publicKey, this.signature)) {
      throw new FirmwareCheckError('firmware_signature', `firmware signature does not verify with key ${this.keys.keyId}`);
    }
    const h = this.header;
    return {
      formatVersion: h.formatVersion,
      version: h.version,
      securityCounter: h.securityCounter,
      originalSize: h.originalSize,
      encryptedSize: h.encryptedSize,
      chunkSize: h.chunkSize,
      totalChunks: h.totalChunks,
      firmwareSha256: digest.toString('hex'),
      keyId: h.keyId,
    };
  }
}

/**
 * Feed a verifier chunk by chunk as a device does: before chunk i, the hash page holding its
 * digest (format 2). `pageAnswer(p)` returns what the gateway would serve for page p.
 */
export async function feedVerifier(
  verifier: FirmwareVerifier,
  chunkAt: (index: number) => Promise<Uint8Array> | Uint8Array,
  pageAnswer: (page: number) => Uint8Array,
  onPlain?: (plain: Buffer, index: number) => void | Promise<void>,
): Promise<VerifyResult> {
  for (let i = 0; i < verifier.header.totalChunks; i++) {
    const page = verifier.pageNeeded(i);
    if (page !== undefined) verifier.acceptPage(page, pageAnswer(page));
    const plain = verifier.acceptChunk(i, await chunkAt(i));
    await onPlain?.(plain, i);
  }
  return verifier.finish();
}

/**
 * Verify an encrypted image file against a manifest exactly as a device would, reading one chunk
 * at a time; format 2 takes its hash pages from the chunk-hash table file (`hashesPath`) as the
 * gateway serves them. `onPlain` receives each decrypted chunk (e.g. to write the firmware out).
 */
export async function verifyImageFile(
  manifest: unknown,
  imagePath: string,
  keys: VerifyKeys,
  opts: VerifyOptions & { hashesPath?: string; onPlain?: (plain: Buffer, index: number) => void | Promise<void> } = {},
): Promise<VerifyResult> {
  const verifier = new FirmwareVerifier(manifest, keys, opts);
  const h = verifier.header;
  const size = (await stat(imagePath)).size;
  if (size !== h.encryptedSize) {
    throw new FirmwareCheckError('image_size', `image is ${size} bytes, manifest says ${h.encryptedSize}`);
  }
  let pages: HashPages | undefined;
  if (h.formatVersion !== FORMAT_V1) {
    if (!opts.hashesPath) throw new FirmwareCheckError('hash_page', 'format 2 needs the chunk-hash table file (firmware_<version>_hashes.bin)', undefined, 0);
    const table = await readFile(opts.hashesPath).catch(() => undefined);
    if (!table || table.length !== h.totalChunks * DIGEST) {
      throw new FirmwareCheckError('hash_page', `${opts.hashesPath} is missing or not ${h.totalChunks * DIGEST} bytes`, undefined, 0);
    }
    pages = new HashPages(table, h.pageEntries);
  }
  const handle = await open(imagePath, 'r');
  try {
    const buf = Buffer.alloc(h.chunkSize);
    const chunkAt = async (i: number) => {
      const { start, end } = chunkRange(h, i);
      const { bytesRead } = await handle.read(buf, 0, end - start, start);
      return buf.subarray(0, bytesRead);
    };
    return await feedVerifier(verifier, chunkAt, (p) => pages!.answer(p), opts.onPlain);
  } finally {
    await handle.close();
  }
}
