#include "fleetgate/fg_hash_tree.h"

#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fg_le_private.h"

int fg_hash_page_parse(const uint8_t *buf, size_t len, fg_hash_page_t *out) {
  if (buf == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(out, 0, sizeof(*out));
  if (len < FG_HASH_PAGE_HEADER_SIZE || memcmp(buf, FG_LIMIT_OTA_PAGE_MAGIC, 4) != 0) {
    return FG_ERR_FORMAT;
  }
  out->page = fg_le32_load(buf + 4);
  out->entries = (uint32_t)buf[8] | ((uint32_t)buf[9] << 8);
  out->proof_count = (uint32_t)buf[10] | ((uint32_t)buf[11] << 8);
  if (out->proof_count > FG_LIMIT_OTA_PROOF_MAX ||
      len != FG_HASH_PAGE_HEADER_SIZE + 32u * ((size_t)out->entries + out->proof_count)) {
    return FG_ERR_FORMAT;
  }
  out->entry_bytes = buf + FG_HASH_PAGE_HEADER_SIZE;
  out->proof = out->entry_bytes + 32u * (size_t)out->entries;
  return FG_OK;
}

/* SHA-256(prefix || a || b), b optional */
static int prv_hash(uint8_t prefix, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                    uint8_t out[32]) {
  fg_sha256_t h;
  int rc = fg_sha256_start(&h);
  if (rc != 0) {
    return rc;
  }
  rc = fg_sha256_update(&h, &prefix, 1);
  if (rc == 0) {
    rc = fg_sha256_update(&h, a, alen);
  }
  if (rc == 0 && blen > 0) {
    rc = fg_sha256_update(&h, b, blen);
  }
  if (rc != 0) {
    fg_sha256_free(&h);
    return rc;
  }
  return fg_sha256_finish(&h, out);
}

int fg_hash_tree_leaf(const uint8_t *entries, size_t len, uint8_t out[32]) {
  if ((entries == NULL && len > 0) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  return prv_hash(0x00, entries, len, NULL, 0, out);
}

int fg_hash_tree_root(const uint8_t leaf[32], uint32_t index, uint32_t size, const uint8_t *proof,
                      uint32_t proof_count, uint8_t root[32]) {
  if (leaf == NULL || root == NULL || (proof == NULL && proof_count > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (index >= size || proof_count > FG_LIMIT_OTA_PROOF_MAX) {
    return FG_ERR_HASH;
  }
  uint32_t fn = index;
  uint32_t sn = size - 1u;
  uint8_t r[32];
  uint8_t pair[64];
  memcpy(r, leaf, 32);
  for (uint32_t i = 0; i < proof_count; i++) {
    const uint8_t *p = proof + 32u * (size_t)i;
    if (sn == 0) {
      return FG_ERR_HASH; /* a longer proof than the tree is deep */
    }
    if ((fn & 1u) != 0 || fn == sn) {
      memcpy(pair, p, 32);
      memcpy(pair + 32, r, 32);
      while ((fn & 1u) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      memcpy(pair, r, 32);
      memcpy(pair + 32, p, 32);
    }
    const int rc = prv_hash(0x01, pair, 64, NULL, 0, r);
    if (rc != 0) {
      return rc;
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return FG_ERR_HASH; /* a shorter proof than the tree is deep */
  }
  memcpy(root, r, 32);
  return FG_OK;
}
