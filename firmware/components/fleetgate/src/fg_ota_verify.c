#include "fleetgate/fg_ota_verify.h"

#include <string.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hash_tree.h"

const char *fg_ota_check_name(fg_ota_check_t c) {
#define PRV_CHECK_NAME(id, name) name,
  static const char *const names[] = {"", FG_LIMIT_OTA_CHECKS(PRV_CHECK_NAME)};
#undef PRV_CHECK_NAME
  return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : "";
}

int fg_ota_keys_init(fg_ota_keys_t *k, const uint8_t *rsa_pub_der, size_t der_len,
                     const uint8_t aes_key[32]) {
  if (k == NULL || rsa_pub_der == NULL || der_len == 0 || aes_key == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(k, 0, sizeof(*k));
  k->rsa_pub_der = rsa_pub_der;
  k->rsa_pub_der_len = der_len;
  memcpy(k->aes_key, aes_key, 32);
  uint8_t d[32];
  int rc = fg_sha256(rsa_pub_der, der_len, d);
  if (rc != 0) {
    return rc;
  }
  memcpy(k->rsa_key_id, d, FG_MANIFEST_KEY_ID_LEN);
  rc = fg_sha256(aes_key, 32, d);
  if (rc != 0) {
    return rc;
  }
  memcpy(k->aes_key_id, d, FG_MANIFEST_KEY_ID_LEN);
  return FG_OK;
}

static int prv_fail(fg_ota_verify_t *v, fg_ota_check_t check, int32_t chunk, int err) {
  v->failed_check = (uint8_t)check;
  v->failed_chunk = chunk;
  /* a refetchable chunk failure keeps the session alive; everything else ends it */
  if (check != FG_OTA_CHECK_CHUNK_HASH && check != FG_OTA_CHECK_CHUNK_ORDER &&
      check != FG_OTA_CHECK_CHUNK_LENGTH && check != FG_OTA_CHECK_HASH_PAGE) {
    v->stage = FG_OTA_STAGE_FAILED;
  }
  return err;
}

int fg_ota_verify_header(fg_ota_verify_t *v, const fg_ota_keys_t *keys, const uint8_t *header,
                         size_t header_len, const uint8_t *sig, size_t sig_len) {
  if (v == NULL || keys == NULL || header == NULL || sig == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(v, 0, sizeof(*v));
  v->keys = keys;
  v->failed_chunk = -1;
  v->page = UINT32_MAX;
  if (fg_manifest_header_parse(header, header_len, &v->hdr) != 0) {
    return prv_fail(v, FG_OTA_CHECK_HEADER_FORMAT, -1, FG_ERR_FORMAT);
  }
  if (!fg_ct_equal(v->hdr.key_id, keys->rsa_key_id, FG_MANIFEST_KEY_ID_LEN) ||
      !fg_ct_equal(v->hdr.aes_key_id, keys->aes_key_id, FG_MANIFEST_KEY_ID_LEN)) {
    return prv_fail(v, FG_OTA_CHECK_KEY_ID, -1, FG_ERR_KEY_ID);
  }
  int rc = fg_sha256(header, header_len, v->header_sha256);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_MANIFEST_SIGNATURE, -1, rc);
  }
  rc = fg_rsa_pss_verify(keys->rsa_pub_der, keys->rsa_pub_der_len, v->header_sha256, sig, sig_len);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_MANIFEST_SIGNATURE, -1, rc == FG_ERR_FORMAT ? rc : FG_ERR_SIGNATURE);
  }
  v->stage = FG_OTA_STAGE_HEADER;
  return FG_OK;
}

int fg_ota_verify_copies(fg_ota_verify_t *v, const fg_manifest_t *m) {
  if (v == NULL || m == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_HEADER) {
    return FG_ERR_STATE;
  }
  uint8_t d[32];
  const int rc = fg_sha256(m->header, m->header_len, d);
  if (rc != 0) {
    return rc;
  }
  /* the JSON must be the manifest whose header was authenticated, and agree with it */
  if (!fg_ct_equal(d, v->header_sha256, 32) || fg_manifest_check_copies(m, &v->hdr) != 0) {
    return prv_fail(v, FG_OTA_CHECK_MANIFEST_MISMATCH, -1, FG_ERR_MISMATCH);
  }
  return FG_OK;
}

int fg_ota_verify_rollback(fg_ota_verify_t *v, uint32_t min_counter) {
  if (v == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_HEADER) {
    return FG_ERR_STATE;
  }
  if (v->hdr.security_counter < min_counter) {
    return prv_fail(v, FG_OTA_CHECK_ROLLBACK, -1, FG_ERR_ROLLBACK);
  }
  return FG_OK;
}

/* AES context, running hash, IV(0): what feeding chunks needs, for either format. */
static int prv_begin_chunks(fg_ota_verify_t *v) {
  int rc = fg_aes256_dec_init(&v->aes, v->keys->aes_key);
  if (rc != 0) {
    return rc;
  }
  v->aes_ready = true;
  rc = fg_sha256_start(&v->hash);
  if (rc != 0) {
    return rc;
  }
  v->hash_running = true;
  v->next_chunk = 0;
  v->plain_done = 0;
  memcpy(v->iv, v->hdr.iv, 16);
  v->stage = FG_OTA_STAGE_TABLE;
  return FG_OK;
}

int fg_ota_verify_chunk_table(fg_ota_verify_t *v, const uint8_t *table, size_t count) {
  if (v == NULL || (table == NULL && count > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_HEADER || v->hdr.format_version != FG_MANIFEST_FORMAT_V1) {
    return FG_ERR_STATE;
  }
  if (count != v->hdr.total_chunks) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_TABLE, -1, FG_ERR_HASH);
  }
  uint8_t root[32];
  int rc = fg_sha256(table, count * 32u, root);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_TABLE, -1, rc);
  }
  if (!fg_ct_equal(root, v->hdr.root, 32)) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_TABLE, -1, FG_ERR_HASH);
  }
  rc = prv_begin_chunks(v);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_TABLE, -1, rc);
  }
  v->table = table;
  return FG_OK;
}

int fg_ota_verify_pages_begin(fg_ota_verify_t *v) {
  if (v == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_HEADER || v->hdr.format_version != FG_MANIFEST_FORMAT_V2) {
    return FG_ERR_STATE;
  }
  const int rc = prv_begin_chunks(v);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_HASH_PAGE, -1, rc);
  }
  v->table = NULL;
  v->page = UINT32_MAX;
  return FG_OK;
}

uint32_t fg_ota_verify_page_of(const fg_ota_verify_t *v, uint32_t n) {
  return v->hdr.page_entries == 0 ? 0 : n / v->hdr.page_entries;
}

int fg_ota_verify_page(fg_ota_verify_t *v, uint32_t page, const uint8_t *answer, size_t len) {
  if (v == NULL || answer == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if ((v->stage != FG_OTA_STAGE_TABLE && v->stage != FG_OTA_STAGE_CHUNKS) ||
      v->hdr.format_version != FG_MANIFEST_FORMAT_V2) {
    return FG_ERR_STATE;
  }
  fg_hash_page_t p;
  if (page >= v->hdr.total_pages || fg_hash_page_parse(answer, len, &p) != 0 || p.page != page) {
    return prv_fail(v, FG_OTA_CHECK_HASH_PAGE, -1, FG_ERR_FORMAT);
  }
  const uint32_t first = page * v->hdr.page_entries;
  const uint32_t left = v->hdr.total_chunks - first;
  if (p.entries != (left < v->hdr.page_entries ? left : v->hdr.page_entries)) {
    return prv_fail(v, FG_OTA_CHECK_HASH_PAGE, -1, FG_ERR_FORMAT);
  }
  uint8_t leaf[32];
  uint8_t root[32];
  int rc = fg_hash_tree_leaf(p.entry_bytes, 32u * (size_t)p.entries, leaf);
  if (rc == 0) {
    rc = fg_hash_tree_root(leaf, page, v->hdr.total_pages, p.proof, p.proof_count, root);
  }
  if (rc == 0 && !fg_ct_equal(root, v->hdr.root, 32)) {
    rc = FG_ERR_HASH;
  }
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_HASH_PAGE, -1, rc);
  }
  v->table = p.entry_bytes;
  v->page = page;
  return FG_OK;
}

int fg_ota_verify_resume(fg_ota_verify_t *v, uint32_t next_chunk, const uint8_t iv[16]) {
  if (v == NULL || (iv == NULL && next_chunk > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_TABLE || v->next_chunk != 0 || next_chunk > v->hdr.total_chunks) {
    return FG_ERR_STATE;
  }
  if (next_chunk == 0) {
    return FG_OK;
  }
  if (v->hash_running) {
    fg_sha256_free(&v->hash);
    v->hash_running = false;
  }
  v->next_chunk = next_chunk;
  memcpy(v->iv, iv, 16);
  v->plain_done = next_chunk * v->hdr.chunk_size;
  if (next_chunk == v->hdr.total_chunks) {
    v->plain_done = v->hdr.original_size;
    v->stage = FG_OTA_STAGE_CHUNKS;
  }
  return FG_OK;
}

int fg_ota_verify_chunk(fg_ota_verify_t *v, uint32_t n, const uint8_t *enc, size_t len,
                        uint8_t *plain, size_t *plain_len) {
  if (v == NULL || enc == NULL || plain == NULL || plain_len == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_TABLE) {
    return v->stage == FG_OTA_STAGE_CHUNKS ? prv_fail(v, FG_OTA_CHECK_CHUNK_ORDER, (int32_t)n, FG_ERR_STATE)
                                           : FG_ERR_STATE;
  }
  if (n != v->next_chunk) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_ORDER, (int32_t)n, FG_ERR_STATE);
  }
  if (len != fg_manifest_chunk_len(&v->hdr, n)) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_LENGTH, (int32_t)n, FG_ERR_RANGE);
  }
  /* the chunk's verified hash: format 1 from the whole table, format 2 from its page */
  const uint8_t *expected = NULL;
  if (v->hdr.format_version == FG_MANIFEST_FORMAT_V2) {
    if (v->table == NULL || v->page != fg_ota_verify_page_of(v, n)) {
      return prv_fail(v, FG_OTA_CHECK_HASH_PAGE, (int32_t)n, FG_ERR_STATE);
    }
    expected = v->table + (size_t)(n % v->hdr.page_entries) * 32u;
  } else {
    expected = v->table + (size_t)n * 32u;
  }
  uint8_t digest[32];
  int rc = fg_sha256(enc, len, digest);
  if (rc != 0) {
    return rc;
  }
  if (!fg_ct_equal(digest, expected, 32)) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_HASH, (int32_t)n, FG_ERR_HASH);
  }
  /* authenticated: decrypt (the IV update leaves IV(n+1) = last ciphertext block of chunk n) */
  rc = fg_aes256_cbc_decrypt(&v->aes, v->iv, enc, len, plain);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_CHUNK_HASH, (int32_t)n, rc);
  }
  size_t out = len;
  const bool last = (n + 1 == v->hdr.total_chunks);
  if (last) {
    const uint32_t p = v->hdr.encrypted_size - v->hdr.original_size; /* 1..16 by the header rules */
    bool ok = p >= 1 && p <= 16 && p <= len;
    for (uint32_t i = 0; ok && i < p; i++) {
      ok = plain[len - 1 - i] == (uint8_t)p;
    }
    if (!ok) {
      return prv_fail(v, FG_OTA_CHECK_PADDING, (int32_t)n, FG_ERR_PADDING);
    }
    out = len - p;
  }
  if (v->hash_running) {
    rc = fg_sha256_update(&v->hash, plain, out);
    if (rc != 0) {
      return rc;
    }
  }
  v->plain_done += (uint32_t)out;
  v->next_chunk++;
  if (last) {
    v->stage = FG_OTA_STAGE_CHUNKS;
  }
  v->failed_check = FG_OTA_CHECK_NONE;
  v->failed_chunk = -1;
  *plain_len = out;
  return FG_OK;
}

int fg_ota_verify_finish(fg_ota_verify_t *v, const uint8_t *plain_sha256, const uint8_t *fw_sig,
                         size_t fw_sig_len) {
  if (v == NULL || fw_sig == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (v->stage != FG_OTA_STAGE_CHUNKS) {
    if (v->stage == FG_OTA_STAGE_TABLE) {
      return prv_fail(v, FG_OTA_CHECK_INCOMPLETE, (int32_t)v->next_chunk, FG_ERR_STATE);
    }
    return FG_ERR_STATE;
  }
  uint8_t digest[32];
  if (plain_sha256 != NULL) {
    memcpy(digest, plain_sha256, 32);
  } else if (v->hash_running) {
    const int rc = fg_sha256_finish(&v->hash, digest);
    v->hash_running = false;
    if (rc != 0) {
      return prv_fail(v, FG_OTA_CHECK_FIRMWARE_HASH, -1, rc);
    }
  } else {
    return FG_ERR_STATE;
  }
  if (v->plain_done != v->hdr.original_size ||
      !fg_ct_equal(digest, v->hdr.firmware_sha256, 32)) {
    return prv_fail(v, FG_OTA_CHECK_FIRMWARE_HASH, -1, FG_ERR_HASH);
  }
  const int rc = fg_rsa_pss_verify(v->keys->rsa_pub_der, v->keys->rsa_pub_der_len, digest, fw_sig,
                                   fw_sig_len);
  if (rc != 0) {
    return prv_fail(v, FG_OTA_CHECK_FIRMWARE_SIGNATURE, -1, FG_ERR_SIGNATURE);
  }
  v->stage = FG_OTA_STAGE_DONE;
  return FG_OK;
}

void fg_ota_verify_free(fg_ota_verify_t *v) {
  if (v == NULL) {
    return;
  }
  if (v->hash_running) {
    fg_sha256_free(&v->hash);
    v->hash_running = false;
  }
  if (v->aes_ready) {
    fg_aes_free(&v->aes);
    v->aes_ready = false;
  }
}
