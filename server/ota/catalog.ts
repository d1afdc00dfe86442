/**
 * The set of packaged firmware images a gateway serves, checked from what a store holds
 * (image-store.ts: FIRMWARE_DIR files, or PostgreSQL rows): every manifest is parsed, its header
 * checked against the JSON (and, given the verify keys, its signature checked), its ciphertext
 * must exist with the signed size, and its chunk-hash table must rebuild the signed root.
 * Anything that fails is skipped and reported in `problems`, never served. Images are not
 * decrypted or fully hashed here (that is the device's job and too slow for start-up; the image
 * cache checks every byte against the chunk hashes before serving it).
 */
import semver from 'semver';
import { FirmwareDir } from '../store/embedded/firmware-images.ts';
import { NotFoundError } from '../errors.ts';
import { isFirmwareCheckError } from './checks.ts';
import { sha256 } from './crypto.ts';
import { DIGEST, HashPages } from './hash-tree.ts';
import type { FirmwareImageRepo, ImageEntry } from './image-store.ts';
import type { PublicKeys } from './keys.ts';
import {
  FORMAT_V1,
  assertManifestMatchesHeader,
  chunkRange,
  chunkRootOf,
  hashesFileName,
  headerOfManifest,
  imageFileName,
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
  /** The store's handle for the ciphertext (a file path, a database build id). */
  ref: string;
  /** Size of the encrypted image in bytes (= manifest.encrypted_size). */
  size: number;
  /** The signed root as hex (v1 chunk_root, v2 hash_root): the image's ETag. */
  root: string;
  /**
   * The build's identity: hex SHA-256 of the signed manifest header, which binds version,
   * security counter, sizes, IV, firmware hash and root. A re-packaged version is another build
   * (releases.ts keys its records by version and build).
   */
  build: string;
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

export class FirmwareCatalog {
  private constructor(
    /** Where the images are read from. */
    readonly store: FirmwareImageRepo,
    private readonly images: Map<string, CatalogImage>,
    readonly problems: readonly CatalogProblem[],
  ) {}

  /** Scan the packager's directory `dir`. A missing directory is an empty catalog, not an error. */
  static load(dir: string, opts: CatalogOptions = {}): Promise<FirmwareCatalog> {
    return FirmwareCatalog.read(new FirmwareDir(dir), opts);
  }

  /** Everything `store` holds, checked; `problems` are reported along with the store's own. */
  static async read(store: FirmwareImageRepo, opts: CatalogOptions = {}, problems: readonly CatalogProblem[] = []): Promise<FirmwareCatalog> {
    const listed = await store.list();
    const images = new Map<string, CatalogImage>();
    const found = [...problems, ...listed.problems];
    for (const entry of listed.entries) {
      try {
        const image = checkImageEntry(entry, opts);
        images.set(image.version, image);
      } catch (err) {
        found.push({ file: entry.name, reason: describe(err) });
      }
    }
    return new FirmwareCatalog(store, images, found);
  }

  /** Where the images are, for logs and listings. */
  get location(): string {
    return this.store.location;
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

  /** Read one encrypted chunk (what a device fetches and checks against chunk_hashes[index]). */
  async readChunk(version: string, index: number): Promise<Buffer> {
    const image = this.requireImage(version);
    const { start, end } = chunkRange(image.header, index);
    return this.store.read(image.ref, start, end);
  }
}

/** One stored image checked as the catalog checks it (throws what is wrong); uploads use it too. */
export function checkImageEntry(entry: ImageEntry, opts: CatalogOptions = {}): CatalogImage {
  let json: unknown;
  try {
    json = JSON.parse(entry.manifestText);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  let manifest: FirmwareManifest;
  let header: ManifestHeader;
  let headerBytes: Buffer;
  if (opts.verifyKeys) {
    ({ manifest, header, headerBytes } = verifyManifest(json, opts.verifyKeys));
  } else {
    manifest = parseManifest(json);
    ({ header, bytes: headerBytes } = headerOfManifest(manifest));
    assertManifestMatchesHeader(manifest, header);
  }
  if (manifest.version !== entry.version) throw new Error(`file name says version ${entry.version}, manifest says ${manifest.version}`);
  const imageName = imageFileName(manifest.version);
  if (entry.size === undefined) throw new Error(`image ${imageName} is missing`);
  if (entry.size !== header.encryptedSize) throw new Error(`image ${imageName} is ${entry.size} bytes, manifest says ${header.encryptedSize}`);
  const root = Buffer.from(header.root).toString('hex');
  const base = { version: manifest.version, manifest, header, ref: entry.ref, size: entry.size, root, build: sha256(headerBytes).toString('hex') };
  if (manifest.format_version === FORMAT_V1) {
    const chunkHashes = packChunkHashes(manifest.chunk_hashes);
    if (!chunkRootOf(chunkHashes).equals(header.root)) throw new Error('chunk_table: chunk_hashes do not hash to the signed chunk root');
    return { ...base, chunkHashes, pages: undefined };
  }
  // Format 2: the chunk-hash table is stored beside the image; it must rebuild the signed root.
  const hashesName = hashesFileName(manifest.version);
  const chunkHashes = entry.hashTable;
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
