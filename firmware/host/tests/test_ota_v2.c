/* Manifest format 2 against tests/vectors/manifest-v2.json (server/ota/SPEC.md §11), through the
 * device's own path (our JSON tokenizer, fg_manifest_from_json, fg_ota_verify with hash pages):
 * the header parses to the stated fields, every page proof reaches hash_root, the image verifies
 * through its pages, and every tampered case fails with the check, chunk and page the vectors
 * name — the same cases the TypeScript verifier and `fleetgate firmware verify` run. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fg_test.h"
#include "fg_test_vectors.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_manifest.h"
#include "fleetgate/fg_ota_verify.h"

static cJSON *s_v2;
static fg_ota_keys_t s_keys;
static uint8_t *s_der;

static int prv_load(void) {
  if (s_v2 != NULL) {
    return 1;
  }
  s_v2 = fg_test_load_vectors("manifest-v2.json");
  return s_v2 != NULL && fg_test_ota_keys(&s_keys, &s_der);
}

typedef struct {
  fg_ota_check_t check;
  int32_t chunk;
  int32_t page;
} prv_outcome_t;

/* Verifies as the device does: manifest, then per chunk its page (when new) and the chunk. */
static prv_outcome_t prv_run(const cJSON *manifest, const uint8_t *enc, size_t enc_len,
                             uint8_t *const *pages, const size_t *page_len, int n_pages,
                             uint32_t min_counter) {
  prv_outcome_t out = {FG_OTA_CHECK_NONE, -1, -1};
  static fg_manifest_t m;
  static fg_json_tok_t toks[64];
  char *text = cJSON_PrintUnformatted(manifest);
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, text, strlen(text), toks, 64) <= 0 ||
      fg_manifest_from_json(&doc, 0, &m, NULL, 0) != 0) {
    free(text);
    out.check = FG_OTA_CHECK_MANIFEST_FORMAT;
    return out;
  }
  free(text);
  fg_ota_verify_t v;
  if (fg_ota_verify_header(&v, &s_keys, m.header, m.header_len, m.header_sig, m.header_sig_len) != 0 ||
      fg_ota_verify_copies(&v, &m) != 0 || fg_ota_verify_rollback(&v, min_counter) != 0 ||
      fg_ota_verify_pages_begin(&v) != 0) {
    out.check = (fg_ota_check_t)v.failed_check;
    fg_ota_verify_free(&v);
    return out;
  }
  static uint8_t buf[4096];
  for (uint32_t n = 0; n < v.hdr.total_chunks; n++) {
    const uint32_t p = fg_ota_verify_page_of(&v, n);
    if (v.page != p) {
      if ((int)p >= n_pages || fg_ota_verify_page(&v, p, pages[p], page_len[p]) != 0) {
        out.check = FG_OTA_CHECK_HASH_PAGE;
        out.page = (int32_t)p;
        break;
      }
    }
    const size_t off = (size_t)n * v.hdr.chunk_size;
    size_t len = v.hdr.chunk_size;
    if (off + len > enc_len) {
      len = off < enc_len ? enc_len - off : 0;
    }
    size_t plain_len = 0;
    if (fg_ota_verify_chunk(&v, n, enc + off, len, buf, &plain_len) != 0) {
      out.check = (fg_ota_check_t)v.failed_check;
      out.chunk = v.failed_chunk;
      break;
    }
  }
  if (out.check == FG_OTA_CHECK_NONE && fg_ota_verify_finish(&v, NULL, m.fw_sig, m.fw_sig_len) != 0) {
    out.check = (fg_ota_check_t)v.failed_check;
  }
  fg_ota_verify_free(&v);
  return out;
}

/* page answers from a JSON array of hex strings, or of {answer_hex} objects */
static int prv_pages(const cJSON *arr, uint8_t **pages, size_t *len) {
  const int n = cJSON_GetArraySize(arr);
  for (int i = 0; i < n && i < 8; i++) {
    const cJSON *e = cJSON_GetArrayItem(arr, i);
    pages[i] = fg_test_hex(cJSON_IsString(e) ? e->valuestring : fg_test_str(e, "answer_hex"), &len[i]);
  }
  return n < 8 ? n : 8;
}

static void test_header_pages_and_image(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *header = cJSON_GetObjectItemCaseSensitive(s_v2, "header");
  size_t n = 0;
  uint8_t *bytes = fg_test_hex(fg_test_str(header, "hex"), &n);
  FG_CHECK_EQ(n, FG_MANIFEST_HEADER_SIZE_V2);
  fg_manifest_header_t h;
  FG_CHECK_EQ(fg_manifest_header_parse(bytes, n, &h), 0);
  FG_CHECK_EQ(h.format_version, 2);
  FG_CHECK_EQ(h.page_entries, 16);
  FG_CHECK_EQ(h.total_pages, 5);
  FG_CHECK_EQ(h.total_chunks, 79);
  char root[65];
  fg_hex_encode(h.root, 32, root, sizeof(root));
  FG_CHECK_STR(root, fg_test_str(s_v2, "hash_root"));
  /* every page: leaf as listed, proof reaches the root, and only at its own index */
  uint8_t *pages[8];
  size_t page_len[8];
  const int np = prv_pages(cJSON_GetObjectItemCaseSensitive(s_v2, "pages"), pages, page_len);
  FG_CHECK_EQ(np, 5);
  for (int p = 0; p < np; p++) {
    fg_hash_page_t a;
    FG_CHECK_EQ(fg_hash_page_parse(pages[p], page_len[p], &a), 0);
    FG_CHECK_EQ(a.page, (uint32_t)p);
    uint8_t leaf[32], r[32];
    FG_CHECK_EQ(fg_hash_tree_leaf(a.entry_bytes, 32u * a.entries, leaf), 0);
    char leaf_hex[65];
    fg_hex_encode(leaf, 32, leaf_hex, sizeof(leaf_hex));
    FG_CHECK_STR(leaf_hex, fg_test_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s_v2, "pages"), p), "leaf_hex"));
    FG_CHECK_EQ(fg_hash_tree_root(leaf, (uint32_t)p, 5, a.proof, a.proof_count, r), 0);
    FG_CHECK_MEM(r, h.root, 32);
    if (fg_hash_tree_root(leaf, (uint32_t)(p + 1) % 5, 5, a.proof, a.proof_count, r) == 0) {
      FG_CHECK(memcmp(r, h.root, 32) != 0);
    }
  }
  size_t enc_len = 0;
  uint8_t *enc = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_v2, "encrypted"), "hex"), &enc_len);
  const prv_outcome_t o = prv_run(cJSON_GetObjectItemCaseSensitive(s_v2, "manifest"), enc, enc_len, pages, page_len, np, 0);
  FG_CHECK_STR(fg_ota_check_name(o.check), "");
  for (int p = 0; p < np; p++) {
    free(pages[p]);
  }
  free(enc);
  free(bytes);
}

static void test_every_tampered_case(void) {
  if (!prv_load()) {
    return;
  }
  size_t enc_len = 0;
  uint8_t *enc = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(s_v2, "encrypted"), "hex"), &enc_len);
  const cJSON *cases = cJSON_GetObjectItemCaseSensitive(s_v2, "tampered");
  int ran = 0;
  const cJSON *t;
  cJSON_ArrayForEach(t, cases) {
    uint8_t *pages[8];
    size_t page_len[8];
    const cJSON *served = cJSON_GetObjectItemCaseSensitive(t, "pages_hex");
    const int np = prv_pages(served != NULL ? served : cJSON_GetObjectItemCaseSensitive(s_v2, "pages"), pages, page_len);
    size_t len = enc_len;
    uint8_t *image = enc;
    const char *enc_hex = fg_test_str(t, "encrypted_hex");
    if (enc_hex[0] != '\0') {
      image = fg_test_hex(enc_hex, &len);
    }
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(t, "min_counter");
    const prv_outcome_t o = prv_run(cJSON_GetObjectItemCaseSensitive(t, "manifest"), image, len, pages,
                                    page_len, np, cJSON_IsNumber(min) ? (uint32_t)min->valuedouble : 0);
    const cJSON *chunk = cJSON_GetObjectItemCaseSensitive(t, "expected_chunk");
    const cJSON *page = cJSON_GetObjectItemCaseSensitive(t, "expected_page");
    if (strcmp(fg_ota_check_name(o.check), fg_test_str(t, "expected_check")) != 0) {
      fprintf(stderr, "case %s: got %s\n", fg_test_str(t, "name"), fg_ota_check_name(o.check));
    }
    FG_CHECK_STR(fg_ota_check_name(o.check), fg_test_str(t, "expected_check"));
    FG_CHECK_EQ(o.chunk, cJSON_IsNumber(chunk) ? (int32_t)chunk->valuedouble : -1);
    FG_CHECK_EQ(o.page, cJSON_IsNumber(page) ? (int32_t)page->valuedouble : -1);
    if (image != enc) {
      free(image);
    }
    for (int p = 0; p < np; p++) {
      free(pages[p]);
    }
    ran++;
  }
  FG_CHECK(ran >= 15);
  free(enc);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_header_pages_and_image),
      FG_TEST_CASE(test_every_tampered_case),
  };
  const int rc = fg_test_run("ota_v2", cases, sizeof(cases) / sizeof(cases[0]));
  cJSON_Delete(s_v2);
  free(s_der);
  return rc;
}
