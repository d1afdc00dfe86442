/**
 * Where packaged firmware images live, as a repository every store implements: the embedded store
 * keeps them as files in FIRMWARE_DIR (server/store/embedded/firmware-images.ts, the packager's
 * layout), PostgreSQL as rows — manifest, hash table, ciphertext in 64 KiB blocks — that every
 * replica reads (server/store/postgres/firmware-images.ts). The catalog (catalog.ts) checks what a
 * store lists, the image cache (image-cache.ts) reads bytes through it, so the routes answer the
 * same — ETag, ranges, hash pages — whichever store holds an image.
 *
 * Images are never held whole per request: `stream` yields pieces of at most IMAGE_BLOCK bytes and
 * `put` consumes its input piece by piece, checking every chunk against its signed hash as it goes
 * (ChunkCheck), so a store never takes an image whose bytes differ from its manifest. A put is
 * all or nothing: until it completes, readers see the previous build or none.
 */
import { createHash, type Hash } from 'node:crypto';
import type { CatalogImage, CatalogProblem } from './catalog.ts';
import { FirmwareCheckError } from './checks.ts';
import type { Release } from './releases.ts';

/** Piece size of streamed images, and the row size of the database store. */
export const IMAGE_BLOCK = 64 * 1024;

/** One image as a store holds it, not yet checked (FirmwareCatalog checks it). */
export interface ImageEntry {
  /** The store's handle for the image's bytes: a file path, a database build id. */
  ref: string;
  /** What a problem report names: the manifest's file name, or the database row. */
  name: string;
  /** The version the store files the image under; it must be the manifest's. */
  version: string;
  /** The manifest JSON as stored. */
  manifestText: string;
  /** Byte length of the stored ciphertext; undefined when there is none. */
  size: number | undefined;
  /** Format 2's chunk-hash table (32 bytes per chunk); undefined when there is none. */
  hashTable: Buffer | undefined;
}

/** stored: it is the version's build now; unchanged: that build was stored already; older: a newer build of the version is stored. */
export type PutOutcome = 'stored' | 'unchanged' | 'older';

export interface FirmwareImageRepo {
  /** A directory the packager writes into, or a database that other replicas share. */
  readonly kind: 'directory' | 'database';
  /** Where the images are, for logs and GET /ota/images (never a credential). */
  readonly location: string;
  /** Whether `list` may answer differently than it did last (cheap: a stat, or a notification seen). */
  changed(): Promise<boolean>;
  /** Every stored image, unchecked, and what could not be read at all. */
  list(): Promise<{ entries: ImageEntry[]; problems: CatalogProblem[] }>;
  /** Bytes [start, end) of the ciphertext `ref` names. */
  read(ref: string, start: number, end: number): Promise<Buffer>;
  /**
   * Bytes from `start` to `end` inclusive (to the end of what is stored when omitted), in pieces
   * of at most IMAGE_BLOCK bytes, read as they are consumed.
   */
  stream(ref: string, start: number, end?: number): AsyncIterable<Buffer>;
  /**
   * Stores a checked image (its manifest, hash table and the ciphertext read from `bytes`) as
   * the build of its version, all or nothing. Throws (storing nothing) when the bytes do not
   * match the signed chunk hashes. A build packaged before the stored one (manifest created_at)
   * is not stored. `draft`, when given, is the release record the caller adds once the build is
   * stored: a store that can (the database) commits it with the build, so no replica lists the
   * build without it; the caller adds it either way (ReleaseRepo.addDraft keeps an existing one).
   */
  put(image: CatalogImage, bytes: AsyncIterable<Uint8Array>, origin: string, draft?: Release): Promise<PutOutcome>;
}

/** What `put` does given the version's stored build (its root and created_at), if any. */
export function putDecision(stored: { root: string; created_at: string } | undefined, image: CatalogImage): 'store' | PutOutcome {
  if (!stored) return 'store';
  if (stored.root === image.root) return 'unchanged';
  // Equal or unparsable times: the image arriving now wins (a re-packaging in the same millisecond).
  return Date.parse(image.manifest.created_at) < Date.parse(stored.created_at) ? 'older' : 'store';
}

/**
 * Checks an image's bytes, fed in pieces of any size, against its signed chunk hashes, one chunk
 * of state at a time: `finish` names the first problem (a chunk that differs, or the wrong length).
 */
export class ChunkCheck {
  private hasher: Hash = createHash('sha256');
  private inChunk = 0;
  private chunk = 0;
  private total = 0;
  private bad: FirmwareCheckError | undefined;

  constructor(private readonly image: Pick<CatalogImage, 'size' | 'chunkHashes' | 'header'>) {}

  /** More bytes than the image has arrived already (a reader may stop: finish() says so). */
  get overrun(): boolean {
    return this.total > this.image.size;
  }

  /** A chunk already failed its hash: a reader may stop at once (finish() names it). */
  get failed(): boolean {
    return this.bad !== undefined;
  }

  update(piece: Uint8Array): void {
    this.total += piece.length;
    const size = this.image.header.chunkSize;
    for (let at = 0; at < piece.length && this.bad === undefined && this.total <= this.image.size; ) {
      const take = Math.min(size - this.inChunk, piece.length - at);
      this.hasher.update(piece.subarray(at, at + take));
      at += take;
      this.inChunk += take;
      if (this.inChunk === size) this.endChunk();
    }
  }

  /** The first problem (checks image_size, chunk_hash), or undefined when every byte matched. */
  finish(): FirmwareCheckError | undefined {
    // A reader that stopped at the first bad chunk has not read the rest: name the chunk, not the size.
    if (this.bad !== undefined) return this.bad;
    if (this.inChunk > 0 && this.total === this.image.size) this.endChunk();
    if (this.total !== this.image.size) return new FirmwareCheckError('image_size', `image is ${this.total} bytes, manifest says ${this.image.size}`);
    return this.bad;
  }

  private endChunk(): void {
    const expected = this.image.chunkHashes.subarray(this.chunk * 32, this.chunk * 32 + 32);
    if (!this.hasher.digest().equals(expected)) this.bad = new FirmwareCheckError('chunk_hash', `chunk ${this.chunk} does not match its signed hash`, this.chunk);
    this.hasher = createHash('sha256');
    this.inChunk = 0;
    this.chunk++;
  }
}

/** A stream of pieces as a web ReadableStream for a response body, pulled one piece at a time. */
export function toBodyStream(pieces: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = pieces[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await it.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
