#include "fleetgate/fg_manifest.h"

#include <string.h>

#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_err.h"
#include "fg_le_private.h"
#include "fleetgate/fg_hex.h"

static uint16_t prv_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

int fg_manifest_header_parse(const uint8_t *bytes, size_t len, fg_manifest_header_t *out) {
  if (bytes == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(out, 0, sizeof(*out));
  if (len < 8 || memcmp(bytes, FG_LIMIT_OTA_MAGIC, 4) != 0) {
    return FG_ERR_FORMAT;
  }
  out->format_version = prv_le16(bytes + 4);
  const size_t expect_len = out->format_version == FG_MANIFEST_FORMAT_V1   ? FG_MANIFEST_HEADER_SIZE
                            : out->format_version == FG_MANIFEST_FORMAT_V2 ? FG_MANIFEST_HEADER_SIZE_V2
                                                                           : 0;
  if (expect_len == 0 || len != expect_len) {
    return FG_ERR_FORMAT;
  }
  out->header_size = prv_le16(bytes + 6);
  out->flags = fg_le32_load(bytes + 8);
  out->security_counter = fg_le32_load(bytes + 12);
  out->original_size = fg_le32_load(bytes + 16);
  out->encrypted_size = fg_le32_load(bytes + 20);
  out->chunk_size = fg_le32_load(bytes + 24);
  out->total_chunks = fg_le32_load(bytes + 28);
  if (out->header_size != expect_len || out->flags != 0) {
    return FG_ERR_FORMAT;
  }
  /* version: 1..31 printable ASCII (0x21..0x7E), then only NULs up to offset 64 */
  size_t vlen = 0;
  while (vlen < 32 && bytes[32 + vlen] != 0) {
    const uint8_t c = bytes[32 + vlen];
    if (c < 0x21 || c > 0x7E) {
      return FG_ERR_FORMAT;
    }
    vlen++;
  }
  if (vlen == 0 || vlen > FG_MANIFEST_VERSION_MAX) {
    return FG_ERR_FORMAT;
  }
  for (size_t i = vlen; i < 32; i++) {
    if (bytes[32 + i] != 0) {
      return FG_ERR_FORMAT;
    }
  }
  memcpy(out->version, bytes + 32, vlen);
  out->version[vlen] = '\0';
  /* sizes (computed in 64 bits: u32 fields near the top must not wrap) */
  if (out->original_size < 1) {
    return FG_ERR_FORMAT;
  }
  const uint64_t expect_enc = (uint64_t)out->original_size - (out->original_size % 16u) + 16u;
  if ((uint64_t)out->encrypted_size != expect_enc) {
    return FG_ERR_FORMAT;
  }
  if (out->chunk_size % 16u != 0 || out->chunk_size < FG_MANIFEST_CHUNK_MIN ||
      out->chunk_size > FG_MANIFEST_CHUNK_MAX) {
    return FG_ERR_FORMAT;
  }
  const uint64_t expect_chunks =
      ((uint64_t)out->encrypted_size + out->chunk_size - 1u) / out->chunk_size;
  if ((uint64_t)out->total_chunks != expect_chunks) {
    return FG_ERR_FORMAT;
  }
  memcpy(out->key_id, bytes + 64, 8);
  memcpy(out->aes_key_id, bytes + 72, 8);
  memcpy(out->iv, bytes + 80, 16);
  memcpy(out->firmware_sha256, bytes + 96, 32);
  memcpy(out->root, bytes + 128, 32);
  if (out->format_version == FG_MANIFEST_FORMAT_V2) {
    out->page_entries = fg_le32_load(bytes + 160);
    out->total_pages = fg_le32_load(bytes + 164);
    const uint32_t e = out->page_entries;
    if (e < FG_LIMIT_OTA_PAGE_ENTRIES_MIN || e > FG_LIMIT_OTA_PAGE_ENTRIES_MAX || (e & (e - 1u)) != 0 ||
        out->total_pages != (uint32_t)(((uint64_t)out->total_chunks + e - 1u) / e)) {
      return FG_ERR_FORMAT;
    }
    for (size_t i = 168; i < FG_MANIFEST_HEADER_SIZE_V2; i++) {
      if (bytes[i] != 0) {
        return FG_ERR_FORMAT; /* reserved */
      }
    }
  }
  return FG_OK;
}

uint32_t fg_manifest_chunk_len(const fg_manifest_header_t *h, uint32_t n) {
  if (h == NULL || n >= h->total_chunks) {
    return 0;
  }
  if (n + 1 < h->total_chunks) {
    return h->chunk_size;
  }
  return h->encrypted_size - (h->total_chunks - 1u) * h->chunk_size;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static int prv_b64_field(const fg_json_doc_t *doc, int obj, const char *key, uint8_t *out,
                         size_t cap, size_t *len) {
  const int t = fg_json_obj_get(doc, obj, key);
  const char *s;
  size_t n;
  if (t < 0 || fg_json_str_raw(doc, t, &s, &n) != 0) {
    return FG_ERR_FORMAT;
  }
  const int got = fg_base64_decode(s, n, out, cap); /* strict = canonical */
  if (got < 0) {
    return FG_ERR_FORMAT;
  }
  *len = (size_t)got;
  return FG_OK;
}

/* lowercase hex of exactly `bytes` bytes */
static int prv_hex_bytes(const fg_json_doc_t *doc, int t, uint8_t *out, size_t bytes) {
  const char *s;
  size_t n;
  if (t < 0 || fg_json_str_raw(doc, t, &s, &n) != 0 || n != bytes * 2) {
    return FG_ERR_FORMAT;
  }
  for (size_t i = 0; i < n; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return FG_ERR_FORMAT;
    }
  }
  return fg_hex_decode(s, n, out, bytes) == (int)bytes ? FG_OK : FG_ERR_FORMAT;
}

static int prv_hex_field(const fg_json_doc_t *doc, int obj, const char *key, uint8_t *out,
                         size_t bytes) {
  return prv_hex_bytes(doc, fg_json_obj_get(doc, obj, key), out, bytes);
}

static int prv_u32_field(const fg_json_doc_t *doc, int obj, const char *key, uint32_t *out) {
  const int t = fg_json_obj_get(doc, obj, key);
  if (t < 0) {
    return FG_ERR_FORMAT;
  }
  return fg_json_get_u32(doc, t, out) == 0 ? FG_OK : FG_ERR_FORMAT;
}

static int prv_str_present(const fg_json_doc_t *doc, int obj, const char *key) {
  const int t = fg_json_obj_get(doc, obj, key);
  return (t >= 0 && doc->toks[t].type == FG_JSON_STRING) ? FG_OK : FG_ERR_FORMAT;
}

int fg_manifest_from_json(const fg_json_doc_t *doc, int obj, fg_manifest_t *m, uint8_t *table,
                          size_t table_cap) {
  if (doc == NULL || m == NULL || obj < 0 || (size_t)obj >= doc->count) {
    return FG_ERR_INVALID_ARG;
  }
  memset(m, 0, sizeof(*m));
  if (doc->toks[obj].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  size_t n = 0;
  uint8_t hdr[FG_MANIFEST_HEADER_MAX + 3];
  if (prv_b64_field(doc, obj, "manifest_header", hdr, sizeof(hdr), &n) != 0 ||
      (n != FG_MANIFEST_HEADER_SIZE && n != FG_MANIFEST_HEADER_SIZE_V2)) {
    return FG_ERR_FORMAT;
  }
  memcpy(m->header, hdr, n);
  m->header_len = n;
  if (prv_b64_field(doc, obj, "manifest_signature", m->header_sig, sizeof(m->header_sig),
                    &m->header_sig_len) != 0 ||
      m->header_sig_len == 0) {
    return FG_ERR_FORMAT;
  }
  if (prv_b64_field(doc, obj, "signature", m->fw_sig, sizeof(m->fw_sig), &m->fw_sig_len) != 0 ||
      m->fw_sig_len == 0) {
    return FG_ERR_FORMAT;
  }
  uint8_t iv[18];
  if (prv_b64_field(doc, obj, "iv", iv, sizeof(iv), &n) != 0 || n != 16) {
    return FG_ERR_FORMAT;
  }
  memcpy(m->iv, iv, 16);
  const int vt = fg_json_obj_get(doc, obj, "version");
  if (vt < 0 || fg_json_get_str(doc, vt, m->version, sizeof(m->version)) < 1) {
    return FG_ERR_FORMAT;
  }
  if (prv_u32_field(doc, obj, "security_counter", &m->security_counter) != 0 ||
      prv_u32_field(doc, obj, "original_size", &m->original_size) != 0 ||
      prv_u32_field(doc, obj, "encrypted_size", &m->encrypted_size) != 0 ||
      prv_u32_field(doc, obj, "chunk_size", &m->chunk_size) != 0 ||
      prv_u32_field(doc, obj, "total_chunks", &m->total_chunks) != 0 ||
      prv_u32_field(doc, obj, "format_version", &m->format_version) != 0) {
    return FG_ERR_FORMAT;
  }
  if (prv_hex_field(doc, obj, "sha256_hash", m->sha256, 32) != 0 ||
      prv_hex_field(doc, obj, "key_id", m->key_id, 8) != 0 ||
      prv_hex_field(doc, obj, "aes_key_id", m->aes_key_id, 8) != 0) {
    return FG_ERR_FORMAT;
  }
  if (prv_str_present(doc, obj, "release_notes") != 0 ||
      prv_str_present(doc, obj, "created_at") != 0) {
    return FG_ERR_FORMAT;
  }
  if (m->format_version == FG_MANIFEST_FORMAT_V2) {
    /* the compact manifest: a hash root and page counts instead of the chunk list */
    if (prv_hex_field(doc, obj, "hash_root", m->root, 32) != 0 ||
        prv_u32_field(doc, obj, "page_entries", &m->page_entries) != 0 ||
        prv_u32_field(doc, obj, "total_pages", &m->total_pages) != 0) {
      return FG_ERR_FORMAT;
    }
    return FG_OK;
  }
  if (m->format_version != FG_MANIFEST_FORMAT_V1 ||
      prv_hex_field(doc, obj, "chunk_root", m->root, 32) != 0) {
    return FG_ERR_FORMAT;
  }
  const int arr = fg_json_obj_get(doc, obj, "chunk_hashes");
  if (arr < 0 || doc->toks[arr].type != FG_JSON_ARRAY) {
    return FG_ERR_FORMAT;
  }
  const uint32_t count = doc->toks[arr].size;
  if (table == NULL || (size_t)count * 32u > table_cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  int t = arr + 1;
  for (uint32_t i = 0; i < count; i++) {
    if (prv_hex_bytes(doc, t, table + (size_t)i * 32u, 32) != 0) {
      return FG_ERR_FORMAT;
    }
    t = (int)doc->toks[t].next;
  }
  m->chunk_hash_count = count;
  return FG_OK;
}

int fg_manifest_check_copies(const fg_manifest_t *m, const fg_manifest_header_t *h) {
  if (m == NULL || h == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (strcmp(m->version, h->version) != 0 || m->security_counter != h->security_counter ||
      m->original_size != h->original_size || m->encrypted_size != h->encrypted_size ||
      m->chunk_size != h->chunk_size || m->total_chunks != h->total_chunks ||
      m->format_version != h->format_version || memcmp(m->sha256, h->firmware_sha256, 32) != 0 ||
      memcmp(m->iv, h->iv, 16) != 0 || memcmp(m->key_id, h->key_id, 8) != 0 ||
      memcmp(m->aes_key_id, h->aes_key_id, 8) != 0 || memcmp(m->root, h->root, 32) != 0 ||
      m->page_entries != h->page_entries || m->total_pages != h->total_pages) {
    return FG_ERR_MISMATCH;
  }
  return FG_OK;
}
