/* OTA image verification against tests/vectors/manifest.json (server/ota/SPEC.md): header
 * parse, signatures, chunk table, per-chunk decrypt with IV(n), resume, and every tampered
 * case failing with the check the vectors name. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fg_test.h"
#include "fg_test_vectors.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_manifest.h"
#include "fleetgate/fg_ota_verify.h"

static cJSON *s_root;
static fg_ota_keys_t s_keys;
static uint8_t *s_der;

static double prv_num(const cJSON *o, const char *k, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static int prv_load(void) {
  if (s_root != NULL) {
    return 1;
  }
  s_root = fg_test_load_vectors("manifest.json");
  if (s_root == NULL) {
    return 0;
  }
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(s_root, "keys");
  size_t der_len = 0;
  s_der = fg_test_hex(fg_test_str(keys, "public_key_der_hex"), &der_len);
  uint8_t *aes = fg_test_hex(fg_test_str(keys, "aes_key_hex"), NULL);
  FG_CHECK_EQ(fg_ota_keys_init(&s_keys, s_der, der_len, aes), 0);
  free(aes);
  return 1;
}

typedef struct {
  fg_manifest_t m;
  uint8_t table[64 * 32];
  fg_json_tok_t toks[256];
} prv_parsed_t;

/* cJSON object -> text -> our tokenizer -> fg_manifest_t (the device's own JSON path) */
static int prv_parse_manifest(const cJSON *manifest, prv_parsed_t *p) {
  char *text = cJSON_PrintUnformatted(manifest);
  fg_json_doc_t doc;
  int rc = fg_json_parse(&doc, text, strlen(text), p->toks, 256);
  if (rc > 0) {
    rc = fg_manifest_from_json(&doc, 0, &p->m, p->table, sizeof(p->table));
  }
  free(text);
  return rc;
}

static void test_keys_and_header(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(s_root, "keys");
  char hex[17];
  fg_hex_encode(s_keys.rsa_key_id, 8, hex, sizeof(hex));
  FG_CHECK_STR(hex, fg_test_str(keys, "key_id"));
  fg_hex_encode(s_keys.aes_key_id, 8, hex, sizeof(hex));
  FG_CHECK_STR(hex, fg_test_str(keys, "aes_key_id"));

  const cJSON *header = cJSON_GetObjectItemCaseSensitive(s_root, "header");
  size_t n = 0;
  uint8_t *bytes = fg_test_hex(fg_test_str(header, "hex"), &n);
  FG_CHECK_EQ(n, FG_MANIFEST_HEADER_SIZE);
  fg_manifest_header_t h;
  FG_CHECK_EQ(fg_manifest_header_parse(bytes, n, &h), 0);
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(header, "fields");
  FG_CHECK_EQ(h.format_version, prv_num(f, "format_version", -1));
  FG_CHECK_EQ(h.header_size, prv_num(f, "header_size", -1));
  FG_CHECK_EQ(h.flags, prv_num(f, "flags", -1));
  FG_CHECK_EQ(h.security_counter, prv_num(f, "security_counter", -1));
  FG_CHECK_EQ(h.original_size, prv_num(f, "original_size", -1));
  FG_CHECK_EQ(h.encrypted_size, prv_num(f, "encrypted_size", -1));
  FG_CHECK_EQ(h.chunk_size, prv_num(f, "chunk_size", -1));
  FG_CHECK_EQ(h.total_chunks, prv_num(f, "total_chunks", -1));
  FG_CHECK_STR(h.version, fg_test_str(f, "version"));
  char h32[65];
  fg_hex_encode(h.key_id, 8, hex, sizeof(hex));
  FG_CHECK_STR(hex, fg_test_str(f, "key_id"));
  fg_hex_encode(h.aes_key_id, 8, hex, sizeof(hex));
  FG_CHECK_STR(hex, fg_test_str(f, "aes_key_id"));
  fg_hex_encode(h.iv, 16, h32, sizeof(h32));
  FG_CHECK_STR(h32, fg_test_str(f, "iv_hex"));
  fg_hex_encode(h.firmware_sha256, 32, h32, sizeof(h32));
  FG_CHECK_STR(h32, fg_test_str(f, "firmware_sha256"));
  fg_hex_encode(h.root, 32, h32, sizeof(h32));
  FG_CHECK_STR(h32, fg_test_str(f, "chunk_root"));
  for (uint32_t i = 0; i < h.total_chunks; i++) {
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s_root, "chunks"), (int)i);
    FG_CHECK_EQ(fg_manifest_chunk_len(&h, i), prv_num(c, "length", -1));
  }
  FG_CHECK_EQ(fg_manifest_chunk_len(&h, h.total_chunks), 0);

  /* header rule violations, one byte at a time */
  uint8_t bad[160];
  static const struct { size_t off; uint8_t val; } muts[] = {
      {0, 'X'}, {4, 2}, {6, 161}, {8, 1}, {16, 0}, {20, 0xC1}, {24, 0x0F}, {25, 0}, {28, 9},
      {32, 0}, {32, 0x20}, {36, 0x7F}, {50, 'x'}, {63, 'x'},
  };
  for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
    memcpy(bad, bytes, 160);
    bad[muts[i].off] = muts[i].val;
    if (muts[i].off == 16) {
      memset(bad + 16, 0, 4); /* original_size 0 */
    }
    const int rc = fg_manifest_header_parse(bad, sizeof(bad), &h);
    if (rc != FG_ERR_FORMAT) {
      fprintf(stderr, "mutation at %zu accepted\n", muts[i].off);
    }
    FG_CHECK_EQ(rc, FG_ERR_FORMAT);
  }
  free(bytes);
}

/* Runs the whole §7 pipeline; returns the failing check (NONE on success). */
static fg_ota_check_t prv_pipeline(const cJSON *manifest, const uint8_t *enc, size_t enc_len,
                                   uint32_t min_counter, int32_t *failed_chunk, uint8_t *plain_out,
                                   size_t *plain_total) {
  static prv_parsed_t p;
  memset(&p, 0, sizeof(p));
  *failed_chunk = -1;
  if (prv_parse_manifest(manifest, &p) != 0) {
    return FG_OTA_CHECK_MANIFEST_FORMAT;
  }
  fg_ota_verify_t v;
  fg_ota_check_t result = FG_OTA_CHECK_NONE;
  if (fg_ota_verify_header(&v, &s_keys, p.m.header, p.m.header_len, p.m.header_sig, p.m.header_sig_len) != 0 ||
      fg_ota_verify_copies(&v, &p.m) != 0 || fg_ota_verify_rollback(&v, min_counter) != 0 ||
      fg_ota_verify_chunk_table(&v, p.table, p.m.chunk_hash_count) != 0) {
    result = (fg_ota_check_t)v.failed_check;
    goto done;
  }
  size_t off = 0;
  size_t total = 0;
  for (uint32_t n = 0; n < v.hdr.total_chunks; n++) {
    size_t len = v.hdr.chunk_size;
    if (off + len > enc_len) {
      len = enc_len - off;
    }
    static uint8_t buf[65536];
    size_t plain_len = 0;
    if (fg_ota_verify_chunk(&v, n, enc + off, len, buf, &plain_len) != 0) {
      result = (fg_ota_check_t)v.failed_check;
      *failed_chunk = v.failed_chunk;
      goto done;
    }
    if (plain_out != NULL) {
      memcpy(plain_out + total, buf, plain_len);
    }
    total += plain_len;
    off += len;
  }
  if (plain_total != NULL) {
    *plain_total = total;
  }
  if (fg_ota_verify_finish(&v, NULL, p.m.fw_sig, p.m.fw_sig_len) != 0) {
    result = (fg_ota_check_t)v.failed_check;
  }
done:
  fg_ota_verify_free(&v);
  return result;
}

static void test_valid_image_decrypts(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *enc = cJSON_GetObjectItemCaseSensitive(s_root, "encrypted");
  const cJSON *fw = cJSON_GetObjectItemCaseSensitive(s_root, "firmware");
  size_t enc_len = 0, fw_len = 0;
  uint8_t *e = fg_test_hex(fg_test_str(enc, "hex"), &enc_len);
  uint8_t *f = fg_test_hex(fg_test_str(fw, "hex"), &fw_len);
  uint8_t *out = (uint8_t *)malloc(enc_len);
  int32_t chunk = 0;
  size_t total = 0;
  const fg_ota_check_t c = prv_pipeline(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), e,
                                        enc_len, 0, &chunk, out, &total);
  FG_CHECK_STR(fg_ota_check_name(c), "");
  FG_CHECK_EQ(total, fw_len);
  FG_CHECK_MEM(out, f, fw_len);
  /* equal counter is allowed (policy on equal versions is the device's) */
  FG_CHECK_EQ(prv_pipeline(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), e, enc_len, 7,
                           &chunk, NULL, NULL),
              FG_OTA_CHECK_NONE);
  free(e);
  free(f);
  free(out);
}

static void test_resume_each_chunk(void) {
  if (!prv_load()) {
    return;
  }
  static prv_parsed_t p;
  FG_CHECK_EQ(prv_parse_manifest(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), &p), 0);
  size_t enc_len = 0, fw_len = 0;
  uint8_t *e = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_root, "encrypted"), "hex"), &enc_len);
  uint8_t *f = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_root, "firmware"), "hex"), &fw_len);
  const cJSON *chunks = cJSON_GetObjectItemCaseSensitive(s_root, "chunks");
  const int n_chunks = cJSON_GetArraySize(chunks);
  for (int start = 0; start < n_chunks; start++) {
    /* a fresh session that resumes at `start` with IV(start) from the vectors */
    fg_ota_verify_t v;
    FG_CHECK_EQ(fg_ota_verify_header(&v, &s_keys, p.m.header, p.m.header_len, p.m.header_sig, p.m.header_sig_len), 0);
    FG_CHECK_EQ(fg_ota_verify_chunk_table(&v, p.table, p.m.chunk_hash_count), 0);
    uint8_t *iv = fg_test_hex(fg_test_str(cJSON_GetArrayItem(chunks, start), "iv_hex"), NULL);
    /* IV(n) is the last ciphertext block of chunk n-1 */
    if (start > 0) {
      const size_t off = (size_t)prv_num(cJSON_GetArrayItem(chunks, start), "offset", 0);
      FG_CHECK_MEM(iv, e + off - 16, 16);
    }
    FG_CHECK_EQ(fg_ota_verify_resume(&v, (uint32_t)start, iv), 0);
    free(iv);
    for (int n = start; n < n_chunks; n++) {
      const cJSON *c = cJSON_GetArrayItem(chunks, n);
      const size_t off = (size_t)prv_num(c, "offset", 0);
      const size_t len = (size_t)prv_num(c, "length", 0);
      uint8_t buf[1024];
      size_t plain_len = 0;
      FG_CHECK_EQ(fg_ota_verify_chunk(&v, (uint32_t)n, e + off, len, buf, &plain_len), 0);
      FG_CHECK(off + plain_len <= fw_len);
      FG_CHECK_MEM(buf, f + off, plain_len);
    }
    /* after a resume the running hash is gone: the caller hashes the written image */
    uint8_t digest[32];
    fg_sha256(f, fw_len, digest);
    if (start > 0) {
      FG_CHECK_EQ(fg_ota_verify_finish(&v, NULL, p.m.fw_sig, p.m.fw_sig_len), FG_ERR_STATE);
    }
    FG_CHECK_EQ(fg_ota_verify_finish(&v, digest, p.m.fw_sig, p.m.fw_sig_len), 0);
    fg_ota_verify_free(&v);
  }
  free(e);
  free(f);
}

static void test_refetch_after_bad_chunk(void) {
  if (!prv_load()) {
    return;
  }
  static prv_parsed_t p;
  FG_CHECK_EQ(prv_parse_manifest(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), &p), 0);
  size_t enc_len = 0;
  uint8_t *e = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_root, "encrypted"), "hex"), &enc_len);
  fg_ota_verify_t v;
  FG_CHECK_EQ(fg_ota_verify_header(&v, &s_keys, p.m.header, p.m.header_len, p.m.header_sig, p.m.header_sig_len), 0);
  FG_CHECK_EQ(fg_ota_verify_chunk_table(&v, p.table, p.m.chunk_hash_count), 0);
  uint8_t buf[1024];
  size_t pl = 0;
  /* out of order */
  FG_CHECK_EQ(fg_ota_verify_chunk(&v, 1, e + 1024, 1024, buf, &pl), FG_ERR_STATE);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)v.failed_check), "chunk_order");
  FG_CHECK_EQ(fg_ota_verify_chunk(&v, 0, e, 1024, buf, &pl), 0);
  /* a corrupted copy of chunk 1, then the good one */
  uint8_t bad[1024];
  memcpy(bad, e + 1024, 1024);
  bad[100] ^= 0x80;
  FG_CHECK_EQ(fg_ota_verify_chunk(&v, 1, bad, 1024, buf, &pl), FG_ERR_HASH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)v.failed_check), "chunk_hash");
  FG_CHECK_EQ(v.failed_chunk, 1);
  FG_CHECK_EQ(fg_ota_verify_chunk(&v, 1, e + 1024, 1024, buf, &pl), 0);
  /* finishing early */
  FG_CHECK_EQ(fg_ota_verify_finish(&v, NULL, p.m.fw_sig, p.m.fw_sig_len), FG_ERR_STATE);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)v.failed_check), "incomplete");
  fg_ota_verify_free(&v);
  free(e);
}

static void test_tampered_vectors(void) {
  if (!prv_load()) {
    return;
  }
  size_t main_len = 0;
  uint8_t *main_enc = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_root, "encrypted"), "hex"), &main_len);
  const cJSON *t;
  int count = 0;
  cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s_root, "tampered")) {
    const char *hex = fg_test_str(t, "encrypted_hex");
    size_t len = main_len;
    uint8_t *enc = hex[0] ? fg_test_hex(hex, &len) : main_enc;
    int32_t chunk = -1;
    const fg_ota_check_t got =
        prv_pipeline(cJSON_GetObjectItemCaseSensitive(t, "manifest"), enc, len,
                     (uint32_t)prv_num(t, "min_counter", 0), &chunk, NULL, NULL);
    if (strcmp(fg_ota_check_name(got), fg_test_str(t, "expected_check")) != 0) {
      fprintf(stderr, "tampered %s: got [%s]\n", fg_test_str(t, "name"), fg_ota_check_name(got));
    }
    FG_CHECK_STR(fg_ota_check_name(got), fg_test_str(t, "expected_check"));
    const double want_chunk = prv_num(t, "expected_chunk", -1);
    if (want_chunk >= 0) {
      FG_CHECK_EQ(chunk, want_chunk);
    }
    if (enc != main_enc) {
      free(enc);
    }
    count++;
  }
  FG_CHECK(count >= 17);
  free(main_enc);
}

static void test_manifest_format(void) {
  if (!prv_load()) {
    return;
  }
  static prv_parsed_t p;
  cJSON *m = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), 1);
  FG_CHECK_EQ(prv_parse_manifest(m, &p), 0);
  FG_CHECK_EQ(p.m.chunk_hash_count, 3);
  static const char *required[] = {"version", "security_counter", "original_size", "encrypted_size",
                                   "sha256_hash", "signature", "iv", "chunk_size", "total_chunks",
                                   "release_notes", "created_at", "key_id", "aes_key_id",
                                   "format_version", "manifest_header", "manifest_signature",
                                   "chunk_root", "chunk_hashes"};
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
    cJSON *copy = cJSON_Duplicate(m, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(copy, required[i]);
    FG_CHECK_EQ(prv_parse_manifest(copy, &p), FG_ERR_FORMAT);
    cJSON_Delete(copy);
  }
  /* non-canonical base64 / upper-case hex / wrong types */
  cJSON *copy = cJSON_Duplicate(m, 1);
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "iv", cJSON_CreateString("NJV1nN+3Op8B/wl+BmNLJx=="));
  FG_CHECK_EQ(prv_parse_manifest(copy, &p), FG_ERR_FORMAT);
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "iv", cJSON_CreateString("NJV1nN+3Op8B/wl+BmNLJw=="));
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "key_id", cJSON_CreateString("C9483978F5D0C51E"));
  FG_CHECK_EQ(prv_parse_manifest(copy, &p), FG_ERR_FORMAT);
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "key_id", cJSON_CreateString("c9483978f5d0c51e"));
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "chunk_size", cJSON_CreateString("1024"));
  FG_CHECK_EQ(prv_parse_manifest(copy, &p), FG_ERR_FORMAT);
  cJSON_Delete(copy);
  /* a table too small for the entries */
  char *text = cJSON_PrintUnformatted(m);
  fg_json_doc_t doc;
  FG_CHECK(fg_json_parse(&doc, text, strlen(text), p.toks, 256) > 0);
  FG_CHECK_EQ(fg_manifest_from_json(&doc, 0, &p.m, p.table, 64), FG_ERR_BUFFER_TOO_SMALL);
  free(text);
  cJSON_Delete(m);
}

static void test_wrong_keys(void) {
  if (!prv_load()) {
    return;
  }
  static prv_parsed_t p;
  FG_CHECK_EQ(prv_parse_manifest(cJSON_GetObjectItemCaseSensitive(s_root, "manifest"), &p), 0);
  fg_ota_keys_t other = s_keys;
  other.aes_key_id[0] ^= 1;
  fg_ota_verify_t v;
  FG_CHECK_EQ(fg_ota_verify_header(&v, &other, p.m.header, p.m.header_len, p.m.header_sig, p.m.header_sig_len), FG_ERR_KEY_ID);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)v.failed_check), "key_id");
  fg_ota_verify_free(&v);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_keys_and_header),   FG_TEST_CASE(test_valid_image_decrypts),
      FG_TEST_CASE(test_resume_each_chunk), FG_TEST_CASE(test_refetch_after_bad_chunk),
      FG_TEST_CASE(test_tampered_vectors),  FG_TEST_CASE(test_manifest_format),
      FG_TEST_CASE(test_wrong_keys),
  };
  const int rc = fg_test_run("ota_verify", cases, sizeof(cases) / sizeof(cases[0]));
  cJSON_Delete(s_root);
  free(s_der);
  return rc;
}
