/**
 * Encrypted images as the OTA routes serve them: each image is read from its store (image-store.ts:
 * FIRMWARE_DIR, or PostgreSQL) once and shared by every request, so hundreds of devices
 * downloading the same 16 MiB image hold one copy, not hundreds — per gateway process, whichever
 * store. Buffers are kept in an LRU bounded by total bytes (OTA_CACHE_MAX_BYTES); an image larger
 * than the bound is never buffered — its ranges and chunks are read from the store per request (a
 * stream of 64 KiB pieces, or one positioned read), which keeps memory flat at the cost of reads.
 * On first use every image is checked against its manifest's chunk hashes (one SHA-256 pass), so
 * the gateway never serves bytes that differ from what was signed and the ETag (the signed chunk
 * root) is truthful; an image failing that check is refused with 503 until it is re-packaged.
 * Entries are keyed by the store's handle and the chunk root, so a re-packaged version (new IV, new
 * root) is a new entry; `retain` drops entries the catalog no longer lists.
 */
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CatalogImage, FirmwareCatalog } from './catalog.ts';
import { ChunkCheck, toBodyStream, type FirmwareImageRepo } from './image-store.ts';
import { chunkRange } from './manifest.ts';

/** Strong ETag of an image: its signed chunk root, which commits to every encrypted byte. */
export function imageEtag(image: CatalogImage): string {
  return `"${image.root}"`;
}

export interface ImageSource {
  image: CatalogImage;
  etag: string;
  /** The whole encrypted image, shared by all requests (never modify it); absent: read from the store. */
  buffer?: Buffer | undefined;
}

interface Entry {
  key: string;
  image: CatalogImage;
  buffer?: Buffer | undefined;
  /** Set when the file does not match its manifest. */
  bad?: string;
}

export interface ImageCacheStats {
  max_bytes: number;
  cached_bytes: number;
  cached_images: number;
  streamed_images: number;
  hits: number;
  loads: number;
}

export class ImageCache {
  /** Insertion order = recency (a hit moves the entry to the end). */
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private bytes = 0;
  private hits = 0;
  private loads = 0;

  constructor(
    private readonly store: FirmwareImageRepo,
    readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  /** The image ready to serve (checked against its chunk hashes on first use). */
  async open(image: CatalogImage): Promise<ImageSource> {
    const key = keyOf(image);
    let entry = this.entries.get(key);
    if (entry) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(key, image).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      entry = await pending;
    }
    if (entry.bad) throw new UnavailableError(`firmware ${image.version} cannot be served: ${entry.bad}`);
    return { image: entry.image, etag: imageEtag(entry.image), buffer: entry.buffer };
  }

  /** Encrypted chunk `index` (a view of the shared buffer when cached: do not modify). */
  async chunk(source: ImageSource, index: number): Promise<Buffer> {
    const { start, end } = chunkRange(source.image.header, index);
    if (source.buffer) return source.buffer.subarray(start, end);
    return this.store.read(source.image.ref, start, end);
  }

  /** Bytes [start, end] (inclusive) as a response body: a shared view, or a stream from the store. */
  body(source: ImageSource, start: number, end: number): Uint8Array | ReadableStream<Uint8Array> {
    if (source.buffer) return source.buffer.subarray(start, end + 1);
    return toBodyStream(this.store.stream(source.image.ref, start, end));
  }

  /** Bytes [start, end] (inclusive) in a buffer of their own (fault injection copies these). */
  async copy(source: ImageSource, start: number, end: number): Promise<Buffer> {
    if (source.buffer) return Buffer.from(source.buffer.subarray(start, end + 1));
    return this.store.read(source.image.ref, start, end + 1);
  }

  /** Drop entries for images the catalog no longer holds (removed or re-packaged). */
  retain(catalog: FirmwareCatalog): void {
    const keep = new Set(catalog.listImages().map(keyOf));
    for (const [key, entry] of this.entries) {
      if (keep.has(key)) continue;
      this.entries.delete(key);
      if (entry.buffer) this.bytes -= entry.buffer.length;
    }
  }

  stats(): ImageCacheStats {
    let cached = 0;
    let streamed = 0;
    for (const e of this.entries.values()) {
      if (e.buffer) cached++;
      else if (!e.bad) streamed++;
    }
    return { max_bytes: this.maxBytes, cached_bytes: this.bytes, cached_images: cached, streamed_images: streamed, hits: this.hits, loads: this.loads };
  }

  /** Whether the image is currently held in memory. */
  isCached(image: CatalogImage): boolean {
    return this.entries.get(keyOf(image))?.buffer !== undefined;
  }

  private async load(key: string, image: CatalogImage): Promise<Entry> {
    this.loads++;
    const entry: Entry = { key, image };
    try {
      // One pass to the end of what is stored (not to the signed size: a file that grew is caught
      // too), copied into the image's own buffer as it goes when it will be cached.
      const check = new ChunkCheck(image);
      const buffer = image.size <= this.maxBytes ? Buffer.allocUnsafe(image.size) : undefined;
      let at = 0;
      for await (const piece of this.store.stream(image.ref, 0)) {
        check.update(piece);
        if (buffer && at + piece.length <= buffer.length) buffer.set(piece, at);
        at += piece.length;
      }
      const bad = check.finish();
      if (bad) entry.bad = bad.message;
      else if (buffer) {
        this.evictFor(buffer.length);
        entry.buffer = buffer;
        this.bytes += buffer.length;
      }
    } catch (err) {
      // Unreadable now (removed between scan and use?): not cached, so the next request retries.
      throw new UnavailableError(`firmware ${image.version} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (entry.bad) this.logger.error({ version: image.version, ref: image.ref, reason: entry.bad }, 'firmware image does not match its manifest; not served');
    this.entries.set(key, entry);
    return entry;
  }

  private evictFor(size: number): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes + size <= this.maxBytes) break;
      if (!entry.buffer) continue;
      this.entries.delete(key);
      this.bytes -= entry.buffer.length;
    }
  }
}

function keyOf(image: CatalogImage): string {
  return `${image.ref}\0${image.root}`;
}
