/**
 * The hash tree of manifest format 2 (SPEC.md §11): the chunk-hash table is cut into hash pages of
 * `pageEntries` digests, each page is a leaf of an RFC 9162 Merkle tree (leaf = SHA-256(0x00 ‖
 * page bytes), node = SHA-256(0x01 ‖ left ‖ right), split at the largest power of two), and the
 * signed header carries only the root. A device fetches a page with its inclusion proof
 * (`GET /ota/hashes/:version?page=N`, the "FGHP" answer below) and checks it against the root, so
 * it never holds more than one page whatever the image size. Pure functions, shared by the
 * packager, the gateway, the verifier and the vectors; firmware/components/fleetgate/src/fg_hash_tree.c
 * is the C twin.
 */
import { createHash } from 'node:crypto';
import { OTA_PAGE_HEADER_SIZE, OTA_PAGE_MAGIC, OTA_PROOF_MAX } from '../protocol/limits.ts';

export const DIGEST = 32;
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const PAGE_MAGIC = Buffer.from(OTA_PAGE_MAGIC, 'ascii');

export function pageCount(totalChunks: number, pageEntries: number): number {
  return Math.ceil(totalChunks / pageEntries);
}

/** Leaf hash of one page: SHA-256(0x00 ‖ concatenated chunk digests of the page). */
export function pageLeaf(pageBytes: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(pageBytes).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly below n (n ≥ 2): RFC 9162's split point. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The RFC 9162 proof check (§2.1.3.2): the root reached from `leaf` at `index` of `size` leaves. */
export function rootFromProof(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Buffer | undefined {
  if (index >= size || proof.length > OTA_PROOF_MAX) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** A page answer: "FGHP", page u32 LE, entries u16 LE, proof count u16 LE, entries, proof. */
export interface PageAnswer {
  page: number;
  /** The page's chunk digests, concatenated. */
  entries: Buffer;
  proof: Buffer[];
}

export function encodePageAnswer(a: PageAnswer): Buffer {
  const head = Buffer.alloc(OTA_PAGE_HEADER_SIZE);
  PAGE_MAGIC.copy(head, 0);
  head.writeUInt32LE(a.page, 4);
  head.writeUInt16LE(a.entries.length / DIGEST, 8);
  head.writeUInt16LE(a.proof.length, 10);
  return Buffer.concat([head, a.entries, ...a.proof]);
}

/** Strict parse of a page answer's shape; undefined when malformed (the caller names the check). */
export function parsePageAnswer(bytes: Uint8Array): PageAnswer | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < OTA_PAGE_HEADER_SIZE || !b.subarray(0, 4).equals(PAGE_MAGIC)) return undefined;
  const count = b.readUInt16LE(8);
  const proofs = b.readUInt16LE(10);
  if (proofs > OTA_PROOF_MAX || b.length !== OTA_PAGE_HEADER_SIZE + DIGEST * (count + proofs)) return undefined;
  const entriesEnd = OTA_PAGE_HEADER_SIZE + DIGEST * count;
  const proof = Array.from({ length: proofs }, (_, i) => b.subarray(entriesEnd + i * DIGEST, entriesEnd + (i + 1) * DIGEST));
  return { page: b.readUInt32LE(4), entries: b.subarray(OTA_PAGE_HEADER_SIZE, entriesEnd), proof };
}

/**
 * The tree over a whole chunk-hash table, for the packager (the root) and the gateway (page
 * answers). Subtree hashes are memoised, so every page's proof costs O(log n) after the root.
 */
export class HashPages {
  readonly totalPages: number;
  readonly root: Buffer;
  private readonly leaves: Buffer[];
  private readonly memo = new Map<number, Buffer>();

  constructor(
    /** Chunk digests packed back to back, 32 bytes each. */
    readonly table: Uint8Array,
    readonly pageEntries: number,
  ) {
    const total = table.length / DIGEST;
    this.totalPages = pageCount(total, pageEntries);
    this.leaves = Array.from({ length: this.totalPages }, (_, p) => pageLeaf(this.pageBytes(p)));
    this.root = this.subtree(0, this.totalPages);
  }

  /** The digests of page p, concatenated. */
  pageBytes(p: number): Buffer {
    const start = p * this.pageEntries * DIGEST;
    const end = Math.min(start + this.pageEntries * DIGEST, this.table.length);
    return Buffer.from(this.table.buffer, this.table.byteOffset + start, end - start);
  }

  /** RFC 9162 PATH(p, D[n]) (§2.1.3.1), leaf-side first. */
  proof(p: number): Buffer[] {
    if (!Number.isInteger(p) || p < 0 || p >= this.totalPages) throw new RangeError(`page ${p} out of range 0..${this.totalPages - 1}`);
    const out: Buffer[] = [];
    const walk = (m: number, start: number, n: number): void => {
      if (n === 1) return;
      const k = split(n);
      if (m < k) {
        walk(m, start, k);
        out.push(this.subtree(start + k, n - k));
      } else {
        walk(m - k, start + k, n - k);
        out.push(this.subtree(start, k));
      }
    };
    walk(p, 0, this.totalPages);
    return out;
  }

  answer(p: number): Buffer {
    return encodePageAnswer({ page: p, entries: this.pageBytes(p), proof: this.proof(p) });
  }

  /** MTH(D[start : start+n]). */
  private subtree(start: number, n: number): Buffer {
    if (n === 1) return this.leaves[start]!;
    const key = start * 2 ** 21 + n; // pages < 2^21 for any u32 image (≥ 256 B chunks, ≥ 16 per page)
    const hit = this.memo.get(key);
    if (hit) return hit;
    const k = split(n);
    const h = nodeHash(this.subtree(start, k), this.subtree(start + k, n - k));
    this.memo.set(key, h);
    return h;
  }
}
