/**
 * The set of packaged firmware images in FIRMWARE_DIR, as the gateway serves them: every
 * `firmware_<version>_manifest.json` is parsed, its header checked against the JSON (and, given
 * the verify keys, its signature checked), and its encrypted image must exist with the signed
 * size. Anything that fails is skipped and reported in `problems`, never served. Images are not
 * decrypted or fully hashed here (that is the device's job and too slow for start-up); the chunk
 * hashes in the manifest let every byte served be checked by the receiver.
 */
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { NotFoundError } from '../errors.ts';
import { isFirmwareCheckError } from './checks.ts';
import { DIGEST, HashPages } from './hash-tree.ts';
import type { PublicKeys } from './keys.ts';
import {
  FORMAT_V1,
  assertManifestMatchesHeader,
  chunkRange,
  chunkRootOf,
  hashesFileName,
  headerOfManifest,
  imageFileName,
  manifestFileName,
  packChunkHashes,
  parseManifest,
  type FirmwareManifest,
  type ManifestHeader,
} from './manifest.ts';
import { verifyManifest } from './verify.ts';

export interface CatalogImage {
  version: string;
  manifest: FirmwareManifest;
  header: ManifestHeader;
  manifestPath: string;
  imagePath: string;
  /** Size of the encrypted image in bytes (= manifest.encrypted_size). */
  size: number;
  /** The signed root as hex (v1 chunk_root, v2 hash_root): the image's ETag. */
  root: string;
  /** Every chunk's SHA-256, packed (v1: from the manifest; v2: the hashes file), checked against the root. */
  chunkHashes: Buffer;
  /** Format 2: the hash tree whose pages GET /ota/hashes serves. */
  pages: HashPages | undefined;
}

export interface CatalogProblem {
  file: string;
  reason: string;
}

export interface CatalogOptions {
  /** When given, manifests must be signed by this key (and name this AES key). */
  verifyKeys?: PublicKeys;
}

const MANIFEST_NAME = /^firmware_(.+)_manifest\.json$/;

export class FirmwareCatalog {
  private constructor(
    readonly dir: string,
    private readonly images: Map<string, CatalogImage>,
    readonly problems: readonly CatalogProblem[],
  ) {}

  /** Scan `dir`. A missing directory is an empty catalog, not an error. */
  static async load(dir: string, opts: CatalogOptions = {}): Promise<FirmwareCatalog> {
    const images = new Map<string, CatalogImage>();
    const problems: CatalogProblem[] = [];
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names.sort()) {
      const match = MANIFEST_NAME.exec(name);
      if (!match) continue;
      try {
        const image = await loadOne(dir, name, match[1]!, opts);
        images.set(image.version, image);
      } catch (err) {
        problems.push({ file: name, reason: describe(err) });
      }
    }
    return new FirmwareCatalog(dir, images, problems);
  }

  /** All valid images, ascending by semver. */
  listImages(): CatalogImage[] {
    return [...this.images.values()].sort((a, b) => semver.compare(a.version, b.version));
  }

  getImage(version: string): CatalogImage | undefined {
    return this.images.get(version);
  }

  /** Like getImage, but a missing version is a 404 for the routes. */
  requireImage(version: string): CatalogImage {
    const image = this.images.get(version);
    if (!image) throw new NotFoundError(`firmware version ${version} not found`, 'firmware_not_found');
    return image;
  }

  /** Highest version, optionally only among images with security_counter >= minCounter. */
  latest(minCounter = 0): CatalogImage | undefined {
    return this.listImages()
      .filter((i) => i.header.securityCounter >= minCounter)
      .at(-1);
  }

  /** Open the encrypted image for reading (caller closes). */
  async openImage(version: string): Promise<FileHandle> {
    return open(this.requireImage(version).imagePath, 'r');
  }

  /** Read one encrypted chunk (what a device fetches and checks against chunk_hashes[index]). */
  async readChunk(version: string, index: number): Promise<Buffer> {
    const image = this.requireImage(version);
    const { start, end } = chunkRange(image.header, index);
    const handle = await open(image.imagePath, 'r');
    try {
      const buf = Buffer.alloc(end - start);
      const { bytesRead } = await handle.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length) throw new Error(`${image.imagePath} shrank while being read`);
      return buf;
    } finally {
      await handle.close();
    }
  }
}

async function loadOne(dir: string, name: string, nameVersion: string, opts: CatalogOptions): Promise<CatalogImage> {
  const manifestPath = join(dir, name);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  let manifest: FirmwareManifest;
  let header: ManifestHeader;
  if (opts.verifyKeys) {
    ({ manifest, header } = verifyManifest(json, opts.verifyKeys));
  } else {
    manifest = parseManifest(json);
    header = headerOfManifest(manifest).header;
    assertManifestMatchesHeader(manifest, header);
  }
  if (manifest.version !== nameVersion || manifestFileName(manifest.version) !== name) {
    throw new Error(`file name says version ${nameVersion}, manifest says ${manifest.version}`);
  }
  const imagePath = join(dir, imageFileName(manifest.version));
  const st = await stat(imagePath).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`image ${imageFileName(manifest.version)} is missing`);
  if (st.size !== header.encryptedSize) {
    throw new Error(`image ${imageFileName(manifest.version)} is ${st.size} bytes, manifest says ${header.encryptedSize}`);
  }
  const root = Buffer.from(header.root).toString('hex');
  const base = { version: manifest.version, manifest, header, manifestPath, imagePath, size: st.size, root };
  if (manifest.format_version === FORMAT_V1) {
    const chunkHashes = packChunkHashes(manifest.chunk_hashes);
    if (!chunkRootOf(chunkHashes).equals(header.root)) throw new Error('chunk_table: chunk_hashes do not hash to the signed chunk root');
    return { ...base, chunkHashes, pages: undefined };
  }
  // Format 2: the chunk-hash table lives next to the image; it must rebuild the signed root.
  const hashesName = hashesFileName(manifest.version);
  const chunkHashes = await readFile(join(dir, hashesName)).catch(() => undefined);
  if (!chunkHashes) throw new Error(`hash table ${hashesName} is missing`);
  if (chunkHashes.length !== header.totalChunks * DIGEST) {
    throw new Error(`hash table ${hashesName} is ${chunkHashes.length} bytes, expected ${header.totalChunks * DIGEST}`);
  }
  const pages = new HashPages(chunkHashes, header.pageEntries);
  if (!pages.root.equals(header.root)) throw new Error(`hash_page: ${hashesName} does not rebuild the signed hash_root`);
  return { ...base, chunkHashes, pages };
}

function describe(err: unknown): string {
  if (isFirmwareCheckError(err)) return `${err.check}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
