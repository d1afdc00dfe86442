/**
 * Encrypted images as the OTA routes serve them: each image is read from disk once and shared by
 * every request, so hundreds of devices downloading the same 16 MiB image hold one copy, not
 * hundreds. Buffers are kept in an LRU bounded by total bytes (OTA_CACHE_MAX_BYTES); an image
 * larger than the bound is never buffered — its ranges and chunks are read from the file per
 * request (createReadStream with start/end, or one positioned read), which keeps memory flat at
 * the cost of disk reads. On first use every image is checked against its manifest's chunk hashes
 * (one SHA-256 pass), so the gateway never serves bytes that differ from what was signed and the
 * ETag (the signed chunk root) is truthful; an image failing that check is refused with 503
 * until it is re-packaged. Entries are keyed by path and chunk root, so a re-packaged version
 * (new IV, new root) is a new entry; `retain` drops entries the catalog no longer lists.
 */
import { hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CatalogImage, FirmwareCatalog } from './catalog.ts';
import { chunkRange } from './manifest.ts';

/** Strong ETag of an image: its signed chunk root, which commits to every encrypted byte. */
export function imageEtag(image: CatalogImage): string {
  return `"${image.root}"`;
}

export interface ImageSource {
  image: CatalogImage;
  etag: string;
  /** The whole encrypted image, shared by all requests (never modify it); absent: read from the file. */
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
    return readAt(source.image.imagePath, start, end - start);
  }

  /** Bytes [start, end] (inclusive) as a response body: a shared view, or a file stream. */
  body(source: ImageSource, start: number, end: number): Uint8Array | ReadableStream<Uint8Array> {
    if (source.buffer) return source.buffer.subarray(start, end + 1);
    const stream = createReadStream(source.image.imagePath, { start, end, highWaterMark: 64 * 1024 });
    return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
  }

  /** Bytes [start, end] (inclusive) in a buffer of their own (fault injection copies these). */
  async copy(source: ImageSource, start: number, end: number): Promise<Buffer> {
    if (source.buffer) return Buffer.from(source.buffer.subarray(start, end + 1));
    return readAt(source.image.imagePath, start, end - start + 1);
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
      if (image.size <= this.maxBytes) {
        const buffer = await readFile(image.imagePath);
        const bad = checkChunks(image, (i) => buffer.subarray(i * image.header.chunkSize, Math.min((i + 1) * image.header.chunkSize, buffer.length)), buffer.length);
        if (bad) entry.bad = bad;
        else {
          this.evictFor(buffer.length);
          entry.buffer = buffer;
          this.bytes += buffer.length;
        }
      } else {
        const bad = await checkFileChunks(image);
        if (bad) entry.bad = bad;
      }
    } catch (err) {
      // Unreadable now (removed between scan and use?): not cached, so the next request retries.
      throw new UnavailableError(`firmware ${image.version} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (entry.bad) this.logger.error({ version: image.version, path: image.imagePath, reason: entry.bad }, 'firmware image does not match its manifest; not served');
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
  return `${image.imagePath}\0${image.root}`;
}

/** Chunk i's signed digest as hex (from the table the catalog checked against the root). */
function digestHex(image: CatalogImage, i: number): string {
  return image.chunkHashes.toString('hex', i * 32, i * 32 + 32);
}

function checkChunks(image: CatalogImage, chunkAt: (i: number) => Uint8Array, length: number): string | undefined {
  if (length !== image.size) return `file is ${length} bytes, manifest says ${image.size}`;
  for (let i = 0; i < image.header.totalChunks; i++) {
    if (hash('sha256', chunkAt(i), 'hex') !== digestHex(image, i)) return `chunk ${i} does not match its signed hash`;
  }
  return undefined;
}

/** The same check for an image too large to buffer: one chunk at a time from the file. */
async function checkFileChunks(image: CatalogImage): Promise<string | undefined> {
  const handle = await open(image.imagePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size !== image.size) return `file is ${size} bytes, manifest says ${image.size}`;
    const buf = Buffer.allocUnsafe(image.header.chunkSize);
    for (let i = 0; i < image.header.totalChunks; i++) {
      const { start, end } = chunkRange(image.header, i);
      const { bytesRead } = await handle.read(buf, 0, end - start, start);
      if (hash('sha256', buf.subarray(0, bytesRead), 'hex') !== digestHex(image, i)) return `chunk ${i} does not match its signed hash`;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

async function readAt(path: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, start);
    if (bytesRead !== length) throw new UnavailableError(`${path} shrank while being read`);
    return buf;
  } finally {
    await handle.close();
  }
}
