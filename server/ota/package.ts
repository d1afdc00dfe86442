/**
 * Firmware packaging: one streaming pass over the plain image hashes it (SHA-256 and the PSS
 * signer), encrypts it with AES-256-CBC/PKCS#7 under a fresh random IV, hashes the ciphertext in
 * chunk_size slices and writes it out; then the binary header is built and signed and the manifest
 * JSON assembled. Memory stays bounded by the read block size plus the chunk-hash list (32 bytes
 * per chunk), whatever the image size. `ImagePackager` is the in-memory core (used by the test
 * vectors with a fixed IV); `packageFirmware` wraps it with file I/O and an atomic, no-clobber commit.
 */
import { hash, randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ValidationError } from '../errors.ts';
import { makeDir } from '../make-dir.ts';
import { commitStaged, discardStaged, stageFile, type StagedFile } from '../store/embedded/atomic-file.ts';
import { AES_BLOCK, CbcEncryptStream, pssSign, pssSignFinal, pssSigner, sha256Stream } from './crypto.ts';
import { HashPages } from './hash-tree.ts';
import type { SigningKeys } from './keys.ts';
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_FORMAT_VERSION,
  DEFAULT_PAGE_ENTRIES,
  FORMAT_V2,
  MAX_ORIGINAL_SIZE,
  buildManifest,
  chunkRootOf,
  encodeHeader,
  encryptedSizeFor,
  hashesFileName,
  imageFileName,
  manifestFileName,
  totalChunksFor,
  validateChunkSize,
  validateFormatVersion,
  validatePageEntries,
  validateSecurityCounter,
  validateVersion,
  type FirmwareManifest,
  type FormatVersion,
  type HeaderFields,
} from './manifest.ts';

export interface PackageOptions {
  version: string;
  /** Anti-rollback counter (u32), default 0. */
  securityCounter?: number;
  /** Multiple of 16 in 256..65536, default 4096. */
  chunkSize?: number;
  /** Manifest format: 2 (default, compact: a hash tree over hash pages) or 1 (the full chunk list). */
  formatVersion?: number;
  /** Format 2: chunk digests per hash page, a power of two in 16..128 (default 64). */
  pageEntries?: number;
  releaseNotes?: string;
  /** Fixed IV for test vectors only; production leaves it unset and gets 16 fresh random bytes. */
  iv?: Uint8Array;
  /** Fixed timestamp for test vectors; default now. */
  createdAt?: Date;
}

export interface PackageFileOptions extends PackageOptions {
  outDir: string;
  /** Replace an already packaged image of the same version. */
  force?: boolean;
}

export interface PackageResult {
  manifest: FirmwareManifest;
  imagePath: string;
  manifestPath: string;
  /** Format 2: the chunk-hash table file (the gateway serves its pages). */
  hashesPath: string | undefined;
}

/**
 * Hashes a byte stream in fixed-size slices, keeping only the 32-byte digests (packed in one
 * growing buffer). Whole chunks are hashed in place with one-shot `crypto.hash`; only a chunk
 * split across two inputs is copied into the reusable staging buffer. This avoids one native hash
 * context per chunk: those are invisible to V8's heap accounting and piled up until a GC.
 */
class ChunkHasher {
  private digests = Buffer.allocUnsafe(32 * 1024);
  private count = 0;
  private readonly staging: Buffer;
  private filled = 0;

  constructor(private readonly chunkSize: number) {
    this.staging = Buffer.allocUnsafe(chunkSize);
  }

  update(data: Uint8Array): void {
    let pos = 0;
    while (pos < data.length) {
      if (this.filled === 0 && data.length - pos >= this.chunkSize) {
        this.push(data.subarray(pos, pos + this.chunkSize));
        pos += this.chunkSize;
        continue;
      }
      const take = Math.min(this.chunkSize - this.filled, data.length - pos);
      this.staging.set(data.subarray(pos, pos + take), this.filled);
      this.filled += take;
      pos += take;
      if (this.filled === this.chunkSize) this.flushStaging();
    }
  }

  /** The digests in chunk order, packed back to back. */
  final(): Buffer {
    if (this.filled > 0) this.flushStaging();
    return this.digests.subarray(0, this.count * 32);
  }

  private flushStaging(): void {
    this.push(this.staging.subarray(0, this.filled));
    this.filled = 0;
  }

  private push(chunk: Uint8Array): void {
    if ((this.count + 1) * 32 > this.digests.length) {
      const grown = Buffer.allocUnsafe(this.digests.length * 2);
      this.digests.copy(grown, 0, 0, this.count * 32);
      this.digests = grown;
    }
    this.digests.set(hash('sha256', chunk, 'buffer'), this.count * 32);
    this.count++;
  }
}

/**
 * Streaming packager: feed plaintext with `update` (ciphertext goes to `emit` as it is produced),
 * then `final` emits the last ciphertext (including the padding block) and returns the manifest.
 */
export class ImagePackager {
  private readonly chunkSize: number;
  private readonly securityCounter: number;
  private readonly iv: Buffer;
  private readonly cipher: CbcEncryptStream;
  private readonly plainHash = sha256Stream();
  private readonly signer = pssSigner();
  private readonly chunks: ChunkHasher;
  private readonly formatVersion: FormatVersion;
  private readonly pageEntries: number;
  private originalSize = 0;
  private done = false;
  /** The chunk digests, packed (after final). */
  chunkTable: Buffer | undefined;

  constructor(
    private readonly keys: SigningKeys,
    private readonly opts: PackageOptions,
  ) {
    validateVersion(opts.version);
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    validateChunkSize(this.chunkSize);
    this.securityCounter = opts.securityCounter ?? 0;
    validateSecurityCounter(this.securityCounter);
    const format = opts.formatVersion ?? DEFAULT_FORMAT_VERSION;
    validateFormatVersion(format);
    this.formatVersion = format;
    this.pageEntries = format === FORMAT_V2 ? (opts.pageEntries ?? DEFAULT_PAGE_ENTRIES) : 0;
    if (format === FORMAT_V2) validatePageEntries(this.pageEntries);
    if (opts.iv !== undefined && opts.iv.length !== AES_BLOCK) throw new ValidationError('IV must be 16 bytes', 'invalid_iv');
    this.iv = opts.iv ? Buffer.from(opts.iv) : randomBytes(AES_BLOCK);
    this.cipher = new CbcEncryptStream(keys.aesKey, this.iv);
    this.chunks = new ChunkHasher(this.chunkSize);
  }

  /**
   * Feed plaintext; `emit` receives the ciphertext produced, in order, as views of a reused
   * buffer: consume or copy them before returning.
   */
  update(plain: Uint8Array, emit: (ciphertext: Uint8Array) => void): void {
    if (this.done) throw new Error('ImagePackager.update after final');
    this.originalSize += plain.length;
    if (this.originalSize > MAX_ORIGINAL_SIZE) throw new ValidationError('firmware image too large (4 GiB limit)', 'firmware_too_large');
    this.plainHash.update(plain);
    this.signer.update(plain);
    this.cipher.update(plain, (ct) => {
      this.chunks.update(ct);
      emit(ct);
    });
  }

  /** Emit the last ciphertext block(s) and return the signed manifest. */
  final(emit: (ciphertext: Uint8Array) => void): FirmwareManifest {
    if (this.done) throw new Error('ImagePackager.final called twice');
    this.done = true;
    if (this.originalSize === 0) throw new ValidationError('firmware image is empty', 'firmware_empty');
    this.cipher.final((ct) => {
      this.chunks.update(ct);
      emit(ct);
    });
    const chunkHashes = this.chunks.final();
    this.chunkTable = chunkHashes;
    const encryptedSize = encryptedSizeFor(this.originalSize);
    const tree = this.formatVersion === FORMAT_V2 ? new HashPages(chunkHashes, this.pageEntries) : undefined;
    const fields: HeaderFields = {
      formatVersion: this.formatVersion,
      version: this.opts.version,
      securityCounter: this.securityCounter,
      originalSize: this.originalSize,
      encryptedSize,
      chunkSize: this.chunkSize,
      totalChunks: totalChunksFor(encryptedSize, this.chunkSize),
      keyId: this.keys.keyId,
      aesKeyId: this.keys.aesKeyId,
      iv: this.iv,
      firmwareSha256: this.plainHash.digest(),
      root: tree ? tree.root : chunkRootOf(chunkHashes),
      pageEntries: tree ? this.pageEntries : 0,
      totalPages: tree ? tree.totalPages : 0,
    };
    // Bug guard: the cipher and the size arithmetic must agree before anything is signed.
    if (chunkHashes.length !== fields.totalChunks * 32) throw new Error('internal: chunk count mismatch');
    const headerBytes = encodeHeader(fields);
    const manifest = buildManifest(fields, {
      headerBytes,
      signature: pssSignFinal(this.signer, this.keys.privateKey),
      manifestSignature: pssSign(headerBytes, this.keys.privateKey),
      chunkHashes,
      releaseNotes: this.opts.releaseNotes ?? '',
      createdAt: (this.opts.createdAt ?? new Date()).toISOString(),
    });
    return manifest;
  }
}

/** Package an in-memory image (small images, test vectors). */
export function packageBuffer(
  firmware: Uint8Array,
  keys: SigningKeys,
  opts: PackageOptions,
): { manifest: FirmwareManifest; encrypted: Buffer; chunkTable: Buffer } {
  const packager = new ImagePackager(keys, opts);
  const parts: Buffer[] = [];
  const emit = (ct: Uint8Array) => parts.push(Buffer.from(ct));
  packager.update(firmware, emit);
  const manifest = packager.final(emit);
  return { manifest, encrypted: Buffer.concat(parts), chunkTable: packager.chunkTable! };
}

/** Read block size: large enough that per-call overhead vanishes, small enough to stay bounded. */
const READ_BLOCK = 1 << 20;

/**
 * Package `inputPath` into `outDir/firmware_<version>_encrypted.bin` + `..._manifest.json`.
 * Nothing appears under the final names unless every step succeeded.
 */
export async function packageFirmware(inputPath: string, keys: SigningKeys, opts: PackageFileOptions): Promise<PackageResult> {
  const packager = new ImagePackager(keys, opts); // validates options before any I/O
  const imagePath = join(opts.outDir, imageFileName(opts.version));
  const manifestPath = join(opts.outDir, manifestFileName(opts.version));
  const hashesPath = (opts.formatVersion ?? DEFAULT_FORMAT_VERSION) === FORMAT_V2 ? join(opts.outDir, hashesFileName(opts.version)) : undefined;
  const inputStat = await stat(inputPath);
  if (!inputStat.isFile()) throw new ValidationError(`${inputPath} is not a regular file`, 'firmware_not_file');
  await makeDir(opts.outDir);
  if (!opts.force) {
    for (const p of [imagePath, manifestPath, ...(hashesPath ? [hashesPath] : [])]) {
      if (await stat(p).then(() => true, () => false)) {
        throw new ConflictError(`firmware ${opts.version} is already packaged (${p}); use --force to replace it`, 'firmware_exists');
      }
    }
  }

  const staged: StagedFile[] = [];
  try {
    const image = await stageFile(imagePath, 0o644);
    staged.push(image);
    // One reusable read buffer and one reusable output buffer: no per-block allocations to pile up.
    // The encryptor emits whole 64 KiB slices, so one read block (a multiple of 64 KiB) yields at
    // most READ_BLOCK bytes, and final() at most one slice plus the padding block.
    const readBuf = Buffer.allocUnsafe(READ_BLOCK);
    const outBuf = Buffer.allocUnsafe(READ_BLOCK + 64 * 1024 + 16);
    let outLen = 0;
    const emit = (ct: Uint8Array) => {
      outBuf.set(ct, outLen);
      outLen += ct.length;
    };
    const flush = async () => {
      // write() may return short (disk full surfaces as an error on the next call), so loop.
      for (let done = 0; done < outLen; ) done += (await image.handle.write(outBuf, done, outLen - done)).bytesWritten;
      outLen = 0;
    };
    const input = await open(inputPath, 'r');
    try {
      for (;;) {
        const { bytesRead } = await input.read(readBuf, 0, READ_BLOCK, null);
        if (bytesRead === 0) break;
        packager.update(readBuf.subarray(0, bytesRead), emit);
        await flush();
      }
    } finally {
      await input.close();
    }
    const manifest = packager.final(emit);
    await flush();
    if (hashesPath) {
      const stagedHashes = await stageFile(hashesPath, 0o644);
      staged.push(stagedHashes);
      await stagedHashes.handle.writeFile(packager.chunkTable!);
    }
    const stagedManifest = await stageFile(manifestPath, 0o644);
    staged.push(stagedManifest);
    await stagedManifest.handle.writeFile(JSON.stringify(manifest, null, 2) + '\n');
    // Image and hashes before manifest: the catalog looks for manifests, so it never sees one
    // without the files it names.
    await commitStaged(staged);
    return { manifest, imagePath, manifestPath, hashesPath };
  } catch (err) {
    await discardStaged(staged);
    throw err;
  }
}
