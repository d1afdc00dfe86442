/**
 * @file fg_hash_tree.h
 * @brief Manifest format 2's hash pages and RFC 9162 hash tree (server/ota/SPEC.md §11): the page
 *        answer ("FGHP") parser and the inclusion-proof check against the signed hash_root. The
 *        TypeScript twin is server/ota/hash-tree.ts; tests/vectors/manifest-v2.json pins both.
 *
 *   leaf(p)    = SHA-256(0x00 || the page's chunk digests)
 *   node(L, R) = SHA-256(0x01 || L || R)
 * No heap; the page answer stays in the caller's buffer (the parsed view points into it).
 */
#ifndef FLEETGATE_FG_HASH_TREE_H
#define FLEETGATE_FG_HASH_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_HASH_PAGE_HEADER_SIZE ((size_t)FG_LIMIT_OTA_PAGE_HEADER_SIZE)
/** Largest page answer: header, FG_LIMIT_OTA_PAGE_ENTRIES_MAX digests, FG_LIMIT_OTA_PROOF_MAX proof hashes. */
#define FG_HASH_PAGE_MAX_BYTES \
  (FG_HASH_PAGE_HEADER_SIZE + 32u * ((size_t)FG_LIMIT_OTA_PAGE_ENTRIES_MAX + FG_LIMIT_OTA_PROOF_MAX))
/** Page answer bytes for pages of `entries` digests in a tree of at most 2^32 pages. */
#define FG_HASH_PAGE_BYTES(entries) (FG_HASH_PAGE_HEADER_SIZE + 32u * ((size_t)(entries) + FG_LIMIT_OTA_PROOF_MAX))

/** A parsed page answer (pointers into the caller's buffer). */
typedef struct {
  uint32_t page;
  uint32_t entries;       /**< digests in entry_bytes */
  uint32_t proof_count;   /**< hashes in proof */
  const uint8_t *entry_bytes;
  const uint8_t *proof;
} fg_hash_page_t;

/** Shape check of an "FGHP" answer (magic, counts, exact length). @return 0 or FG_ERR_FORMAT. */
int fg_hash_page_parse(const uint8_t *buf, size_t len, fg_hash_page_t *out);

/** leaf = SHA-256(0x00 || entries). */
int fg_hash_tree_leaf(const uint8_t *entries, size_t len, uint8_t out[32]);

/**
 * RFC 9162 §2.1.3.2: the root reached from `leaf` at `index` of a tree of `size` leaves through
 * `proof` (proof_count hashes, leaf side first). @return 0 with *root set, FG_ERR_HASH if the
 * proof has the wrong shape for (index, size).
 */
int fg_hash_tree_root(const uint8_t leaf[32], uint32_t index, uint32_t size, const uint8_t *proof,
                      uint32_t proof_count, uint8_t root[32]);

#ifdef __cplusplus
}
#endif
#endif
