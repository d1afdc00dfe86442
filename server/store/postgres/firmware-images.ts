/**
 * Firmware images on PostgreSQL (`firmware_builds`, `firmware_blocks`; 0003_ota.sql), shared by
 * every replica: an image that reaches any replica is served by all, with the same ETag (the
 * signed root) and bytes.
 *
 * `put` writes a build in one transaction — the manifest, format 2's hash table, and the
 * ciphertext in 64 KiB rows (up to 16 rows per INSERT, so at most 1 MiB of it in memory), each
 * chunk checked against its signed hash as it passes — and retires the version's previous build in
 * the same transaction: readers see the old build or the complete new one, never part of one, and
 * bytes that do not match the manifest roll everything back. Builds of one version are put one at
 * a time (an advisory lock per version), so two replicas importing the same files store it once.
 * A retired build stays readable for RETIRED_KEEP (a download in flight finishes on the bytes its
 * ETag names), then the next put deletes it. The transaction NOTIFYs `fleetgate_firmware`; every
 * replica LISTENs, and `changed()` reports a notification seen (or a reconnect, after which some
 * may have been missed) since the last `list()`.
 *
 * Reads never load an image whole: `stream` fetches one 64 KiB row per step as the response is
 * consumed, `read` (one chunk, or a whole image being cached) a few rows per query into the
 * caller's buffer.
 */
import { UnavailableError } from '../../errors.ts';
import type { CatalogImage } from '../../ota/catalog.ts';
import { ChunkCheck, IMAGE_BLOCK, putDecision, type FirmwareImageRepo, type ImageEntry, type PutOutcome } from '../../ota/image-store.ts';
import type { Release } from '../../ota/releases.ts';
import type { Sql } from './connect.ts';
import { insertDraft } from './releases.ts';
import type { ChannelTrust, ListenState } from './notification-watch.ts';

export const FIRMWARE_CHANNEL = 'fleetgate_firmware';
/** Advisory lock namespace of image puts (one lock per version; 7001 nonces, 7002 job leases). */
const PUT_LOCK_NAMESPACE = 7003;
/** Rows per query when reading or writing a range. */
const ROWS_PER_QUERY = 16;
const RETIRED_KEEP = '1 hour';

interface BuildRow {
  build_id: number;
  version: string;
  manifest: string;
  hash_table: Buffer | null;
  size: number;
}

export class PgFirmwareImages implements FirmwareImageRepo {
  readonly kind = 'database';
  /** Bumped by every notification (and reconnect); `listed` is its value when list() last began. */
  private generation = 1;
  private listed = 0;
  private listening: { state: ListenState; unlisten(): Promise<void> } | undefined;

  /** `trust`: while this channel's notifications are not reaching this replica, every check says the catalog changed. */
  constructor(
    private readonly sql: Sql,
    readonly location: string,
    private readonly trust?: ChannelTrust,
  ) {}

  /** Starts listening for images stored by any replica (resolves once listening). */
  async listen(): Promise<void> {
    const bump = () => void this.generation++;
    this.listening = await this.sql.listen(FIRMWARE_CHANNEL, bump, bump);
    this.trust?.follow(this.listening.state);
  }

  async close(): Promise<void> {
    await this.listening?.unlisten().catch(() => undefined);
  }

  async changed(): Promise<boolean> {
    return this.generation !== this.listed || this.trust?.trusted() === false;
  }

  async list(): Promise<{ entries: ImageEntry[]; problems: [] }> {
    const generation = this.generation;
    const rows = await this.sql<BuildRow[]>`
      SELECT build_id, version, manifest::text AS manifest, hash_table, size FROM firmware_builds WHERE retired_at IS NULL ORDER BY version`;
    this.listed = generation;
    const entries = rows.map((r) => ({
      ref: String(r.build_id),
      name: `${r.version} (database build ${r.build_id})`,
      version: r.version,
      manifestText: r.manifest,
      size: r.size,
      hashTable: r.hash_table ?? undefined,
    }));
    return { entries, problems: [] };
  }

  async read(ref: string, start: number, end: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(Math.max(0, end - start));
    let at = 0;
    for await (const piece of this.pieces(ref, start, end - 1, ROWS_PER_QUERY)) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  async *stream(ref: string, start: number, end?: number): AsyncIterable<Buffer> {
    let last = end;
    if (last === undefined) {
      const [row] = await this.sql<{ size: number }[]>`SELECT size FROM firmware_builds WHERE build_id = ${ref}`;
      if (!row) throw new UnavailableError(`firmware build ${ref} is no longer stored`);
      last = row.size - 1;
    }
    yield* this.pieces(ref, start, last, 1);
  }

  /** Bytes start..last (inclusive) in row-sized pieces, fetched `rowsPerQuery` rows at a time. */
  private async *pieces(ref: string, start: number, last: number, rowsPerQuery: number): AsyncIterable<Buffer> {
    if (last < start) return;
    const lastBlock = Math.floor(last / IMAGE_BLOCK);
    for (let from = Math.floor(start / IMAGE_BLOCK); from <= lastBlock; from += rowsPerQuery) {
      const to = Math.min(from + rowsPerQuery - 1, lastBlock);
      const rows = await this.sql<{ block: number; data: Buffer }[]>`
        SELECT block, data FROM firmware_blocks WHERE build_id = ${ref} AND block BETWEEN ${from} AND ${to} ORDER BY block`;
      if (rows.length !== to - from + 1) throw new UnavailableError(`firmware build ${ref} is no longer stored (block ${from + rows.length} missing)`);
      for (const { block, data } of rows) {
        const offset = block * IMAGE_BLOCK;
        const piece = data.subarray(Math.max(0, start - offset), Math.min(data.length, last + 1 - offset));
        if (piece.length !== Math.min(last + 1, offset + IMAGE_BLOCK) - Math.max(start, offset)) {
          throw new UnavailableError(`firmware build ${ref} is shorter than the range asked for`);
        }
        yield piece;
      }
    }
  }

  async put(image: CatalogImage, bytes: AsyncIterable<Uint8Array>, origin: string, draft?: Release): Promise<PutOutcome> {
    const outcome = await this.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${PUT_LOCK_NAMESPACE}, hashtext(${image.version}))`;
      const [stored] = await tx<{ root: string; created_at: string }[]>`
        SELECT root, manifest->>'created_at' AS created_at FROM firmware_builds WHERE version = ${image.version} AND retired_at IS NULL`;
      const decision = putDecision(stored, image);
      if (decision !== 'store') return decision;
      await tx`UPDATE firmware_builds SET retired_at = now() WHERE version = ${image.version} AND retired_at IS NULL`;
      const [build] = await tx<{ build_id: number }[]>`
        INSERT INTO firmware_builds (version, root, manifest, hash_table, size, origin)
        VALUES (${image.version}, ${image.root}, ${tx.json(image.manifest as never)}, ${image.pages ? image.chunkHashes : null}, ${image.size}, ${origin})
        RETURNING build_id`;
      const writer = new BlockWriter((rows) => tx`INSERT INTO firmware_blocks ${tx(rows.map((data, i) => ({ build_id: build!.build_id, block: rows.first + i, data })))}`);
      const check = new ChunkCheck(image);
      for await (const piece of bytes) {
        check.update(piece);
        if (check.overrun || check.failed) break;
        await writer.write(piece);
      }
      const bad = check.finish();
      if (bad) throw bad; // rolls the whole build back
      await writer.end();
      await tx`DELETE FROM firmware_builds WHERE retired_at < now() - ${RETIRED_KEEP}::interval`;
      await tx`SELECT pg_notify(${FIRMWARE_CHANNEL}, ${image.version})`;
      if (draft) {
        // Committed with the build: no replica lists the build without its record.
        await insertDraft(tx, draft);
      }
      return 'stored' as const;
    });
    if (outcome === 'stored') this.generation++;
    return outcome;
  }
}

/** Cuts a byte stream into IMAGE_BLOCK rows and hands them on ROWS_PER_QUERY at a time. */
class BlockWriter {
  private block = Buffer.allocUnsafe(IMAGE_BLOCK);
  private filled = 0;
  private rows: Buffer[] = [];
  private next = 0;

  constructor(private readonly insert: (rows: Buffer[] & { first: number }) => Promise<unknown>) {}

  async write(piece: Uint8Array): Promise<void> {
    for (let at = 0; at < piece.length; ) {
      const take = Math.min(IMAGE_BLOCK - this.filled, piece.length - at);
      this.block.set(piece.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === IMAGE_BLOCK) {
        this.rows.push(this.block);
        this.block = Buffer.allocUnsafe(IMAGE_BLOCK);
        this.filled = 0;
        if (this.rows.length === ROWS_PER_QUERY) await this.send();
      }
    }
  }

  async end(): Promise<void> {
    if (this.filled > 0) this.rows.push(this.block.subarray(0, this.filled));
    this.filled = 0;
    if (this.rows.length > 0) await this.send();
  }

  private async send(): Promise<void> {
    const rows = Object.assign(this.rows, { first: this.next });
    this.next += rows.length;
    this.rows = [];
    await this.insert(rows);
  }
}
