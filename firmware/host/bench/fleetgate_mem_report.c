/**
 * fleetgate-mem-report: the measured RAM of a full OTA on the device build of the core (-Os, no
 * sanitizers). Runs the whole OTA state machine (manifest parse, header RSA-PSS, every hash page
 * with its inclusion proof, per-chunk SHA-256 + AES-256-CBC, flash write, read-back hash,
 * firmware RSA-PSS, pending record, boot switch) with an in-memory gateway and flash, on a
 * painted stack, and counts every heap allocation made while it runs — the buffers the app
 * allocates for it (as firmware/main does) and every one mbedTLS makes (RSA key parsing,
 * bignums): malloc/calloc/realloc/free are wrapped at link time (-Wl,--wrap) and mbedTLS is
 * linked from its static archive, so its calloc calls are wrapped too.
 *
 * usage: fleetgate-mem-report [--chunk-cap N]                          the format 2 vector image
 *        fleetgate-mem-report --manifest M.json --image ENC.bin --pages PAGES.bin
 *                             --pubkey DER.bin --aes-key KEY.bin [--chunk-cap N]
 * PAGES.bin is every page answer ("FGHP", SPEC §11.3) of the image, concatenated in page order.
 * --chunk-cap is the chunk buffer the device allocates (default 16384, the largest allocation
 * the firmware allows itself). Prints one JSON object; exit 0 when the OTA succeeded.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fg_host_file.h"
#include "fg_stackmeter.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_ota.h"

/* ---- counting allocator (linked with --wrap=malloc,calloc,realloc,free,posix_memalign) ------- */
void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_posix_memalign(void **p, size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
int __wrap_posix_memalign(void **p, size_t align, size_t n);

/* 16 bytes before every payload: its size, its distance from the real block, whether counted */
#define PRV_HDR 16u
typedef struct {
  size_t size;
  uint32_t offset;
  uint32_t counted;
} prv_hdr_t;

static int s_counting;
static size_t s_cur, s_peak, s_largest, s_allocs;

static void *prv_track(uint8_t *block, size_t offset, size_t n) {
  if (block == NULL) {
    return NULL;
  }
  const prv_hdr_t h = {n, (uint32_t)offset, (uint32_t)s_counting};
  memcpy(block + offset - PRV_HDR, &h, sizeof(h));
  if (s_counting) {
    s_cur += n;
    s_allocs++;
    if (s_cur > s_peak) {
      s_peak = s_cur;
    }
    if (n > s_largest) {
      s_largest = n;
    }
  }
  return block + offset;
}

/* The real block of a payload, after taking it off the count. */
static uint8_t *prv_untrack(void *p) {
  prv_hdr_t h;
  memcpy(&h, (uint8_t *)p - PRV_HDR, sizeof(h));
  if (h.counted && s_cur >= h.size) {
    s_cur -= h.size;
  }
  return (uint8_t *)p - h.offset;
}

void *__wrap_malloc(size_t n) { return prv_track((uint8_t *)__real_malloc(n + PRV_HDR), PRV_HDR, n); }

void *__wrap_calloc(size_t n, size_t m) {
  if (m != 0 && n > (SIZE_MAX - PRV_HDR) / m) {
    return NULL;
  }
  void *p = __wrap_malloc(n * m);
  if (p != NULL) {
    memset(p, 0, n * m);
  }
  return p;
}

int __wrap_posix_memalign(void **p, size_t align, size_t n) {
  const size_t offset = align < PRV_HDR ? PRV_HDR : align;
  void *block = NULL;
  const int rc = __real_posix_memalign(&block, align, n + offset);
  if (rc == 0) {
    *p = prv_track((uint8_t *)block, offset, n);
  }
  return rc;
}

void __wrap_free(void *p) {
  if (p != NULL) {
    __real_free(prv_untrack(p));
  }
}

void *__wrap_realloc(void *p, size_t n) {
  if (p == NULL) {
    return __wrap_malloc(n);
  }
  prv_hdr_t h;
  memcpy(&h, (uint8_t *)p - PRV_HDR, sizeof(h));
  void *q = __wrap_malloc(n);
  if (q != NULL) {
    memcpy(q, p, h.size < n ? h.size : n);
    __wrap_free(p);
  }
  return q;
}

/* ---- the image, an in-memory gateway, kv and flash ------------------------------------------- */
static char *s_manifest;
static size_t s_manifest_len;
static uint8_t *s_enc;
static size_t s_enc_len;
static uint8_t *s_pages;
static size_t s_pages_len;
static uint8_t *s_slot; /* "flash": allocated before counting, it is not RAM on the device */
static size_t s_slot_cap;
static size_t s_image;
static uint8_t s_kv_data[4][96];
static size_t s_kv_len[4];
static const char *const s_kv_keys[4] = {FG_OTA_KV_RESUME, FG_ROLLBACK_KEY_PENDING, FG_ROLLBACK_KEY_MIN, "other"};

static int prv_kv_slot(const char *k) {
  for (int i = 0; i < 3; i++) {
    if (strcmp(k, s_kv_keys[i]) == 0) {
      return i;
    }
  }
  return 3;
}
static int kv_get(void *c, const char *k, void *b, size_t cap, size_t *len) {
  (void)c;
  const int i = prv_kv_slot(k);
  if (s_kv_len[i] == 0) {
    return FG_ERR_NOT_FOUND;
  }
  *len = s_kv_len[i];
  if (s_kv_len[i] > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(b, s_kv_data[i], s_kv_len[i]);
  return 0;
}
static int kv_set(void *c, const char *k, const void *d, size_t n) {
  (void)c;
  const int i = prv_kv_slot(k);
  if (n > sizeof(s_kv_data[i])) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(s_kv_data[i], d, n);
  s_kv_len[i] = n;
  return 0;
}
static int kv_erase(void *c, const char *k) {
  (void)c;
  s_kv_len[prv_kv_slot(k)] = 0;
  return 0;
}
static int fl_begin(void *c, size_t size, size_t off) {
  (void)c;
  (void)off;
  s_image = size;
  return size <= s_slot_cap ? 0 : FG_ERR_RANGE;
}
static int fl_write(void *c, size_t off, const uint8_t *d, size_t n) {
  (void)c;
  memcpy(s_slot + off, d, n);
  return 0;
}
static int fl_read(void *c, size_t off, uint8_t *d, size_t n) {
  (void)c;
  memcpy(d, s_slot + off, n);
  return 0;
}
static int fl_finish(void *c, size_t n) {
  (void)c;
  return n == s_image ? 0 : FG_ERR_STATE;
}
static int fl_nop(void *c) {
  (void)c;
  return 0;
}
static int src_manifest(void *c, const char *v, char *buf, size_t cap, size_t *len) {
  (void)c;
  (void)v;
  if (s_manifest_len > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, s_manifest, s_manifest_len);
  *len = s_manifest_len;
  return 0;
}
static int src_page(void *c, const char *v, uint32_t page, uint8_t *buf, size_t cap, size_t *len) {
  (void)c;
  (void)v;
  size_t off = 0;
  for (uint32_t p = 0;; p++) { /* walk the concatenated answers by their own lengths */
    if (off + FG_HASH_PAGE_HEADER_SIZE > s_pages_len) {
      return FG_ERR_NOT_FOUND;
    }
    const uint8_t *a = s_pages + off;
    const size_t n = FG_HASH_PAGE_HEADER_SIZE + 32u * ((size_t)(a[8] | (a[9] << 8)) + (size_t)(a[10] | (a[11] << 8)));
    if (p == page) {
      if (n > cap || off + n > s_pages_len) {
        return FG_ERR_BUFFER_TOO_SMALL;
      }
      memcpy(buf, a, n);
      *len = n;
      return 0;
    }
    off += n;
  }
}
static int src_chunk(void *c, const char *v, const fg_ota_range_t *r, uint8_t *buf, size_t cap, size_t *len) {
  (void)c;
  (void)v;
  if (r->length > cap || (size_t)r->offset + r->length > s_enc_len) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, s_enc + r->offset, r->length);
  *len = r->length;
  return 0;
}

typedef struct {
  fg_ota_keys_t keys;
  size_t chunk_cap;
  size_t page_cap;
  size_t manifest_cap;
  size_t toks;
  int rc;
  fg_ota_result_t res;
  size_t buffers;
  char version[FG_MANIFEST_VERSION_MAX + 1];
} job_t;

/* What firmware/main/app_main.c prv_ota() does: allocate the OTA buffers, run, free them. */
static void run_ota(void *p) {
  job_t *j = (job_t *)p;
  static const fg_kv_t kv = {kv_get, kv_set, kv_erase, NULL};
  static const fg_flash_t fl = {fl_begin, fl_write, fl_read, fl_finish, fl_nop, fl_nop, fl_read, fl_nop, NULL};
  static const fg_ota_source_t src = {NULL, src_manifest, src_page, src_chunk, NULL, NULL};
  const fg_platform_t plat = {.kv = &kv, .flash = &fl};
  s_counting = 1;
  uint8_t *chunk = malloc(j->chunk_cap);
  uint8_t *page = malloc(j->page_cap);
  char *manifest = malloc(j->manifest_cap);
  fg_json_tok_t *toks = malloc(j->toks * sizeof(fg_json_tok_t));
  j->buffers = s_cur;
  const fg_ota_config_t cfg = {.chunk_buf = chunk, .chunk_cap = j->chunk_cap, .page_buf = page,
                               .page_cap = j->page_cap, .manifest_buf = manifest,
                               .manifest_cap = j->manifest_cap, .toks = toks, .toks_cap = j->toks,
                               .max_chunk_attempts = 3, .persist_every = 4};
  j->rc = chunk && page && manifest && toks
              ? fg_ota_run(&plat, &j->keys, &src, &cfg, "0.0.1", j->version, &j->res)
              : FG_ERR_IO;
  free(chunk);
  free(page);
  free(manifest);
  free(toks);
  s_counting = 0;
}

static uint8_t *hex_field(const fg_json_doc_t *doc, int obj, const char *key, size_t *len) {
  const int t = fg_json_obj_get(doc, obj, key);
  const char *s;
  size_t n;
  if (t < 0 || fg_json_str_raw(doc, t, &s, &n) != 0) {
    return NULL;
  }
  uint8_t *b = (uint8_t *)malloc(n / 2 + 1);
  *len = (size_t)fg_hex_decode(s, n, b, n / 2 + 1);
  return b;
}

/* The format 2 vector image: manifest, image and pages from manifest-v2.json, keys from
 * manifest.json. */
static int load_vectors(uint8_t **der, size_t *der_len, uint8_t **aes) {
  static fg_json_tok_t toks[16384];
  size_t len = 0;
  char *v1 = fg_host_read_file(FG_VECTORS_DIR "/manifest.json", &len);
  fg_json_doc_t doc;
  if (v1 == NULL || fg_json_parse(&doc, v1, len, toks, 16384) <= 0) {
    return -1;
  }
  const int keys = fg_json_obj_get(&doc, 0, "keys");
  size_t aes_len = 0;
  *der = hex_field(&doc, keys, "public_key_der_hex", der_len);
  *aes = hex_field(&doc, keys, "aes_key_hex", &aes_len);
  free(v1);
  char *v2 = fg_host_read_file(FG_VECTORS_DIR "/manifest-v2.json", &len);
  if (v2 == NULL || fg_json_parse(&doc, v2, len, toks, 16384) <= 0) {
    return -1;
  }
  const int man = fg_json_obj_get(&doc, 0, "manifest");
  s_manifest_len = doc.toks[man].end - doc.toks[man].start;
  s_manifest = malloc(s_manifest_len);
  memcpy(s_manifest, v2 + doc.toks[man].start, s_manifest_len);
  s_enc = hex_field(&doc, fg_json_obj_get(&doc, 0, "encrypted"), "hex", &s_enc_len);
  const int pages = fg_json_obj_get(&doc, 0, "pages");
  s_pages = malloc(FG_HASH_PAGE_MAX_BYTES * doc.toks[pages].size);
  for (uint32_t i = 0; i < doc.toks[pages].size; i++) {
    size_t n = 0;
    uint8_t *a = hex_field(&doc, fg_json_arr_get(&doc, pages, i), "answer_hex", &n);
    memcpy(s_pages + s_pages_len, a, n);
    s_pages_len += n;
    free(a);
  }
  free(v2);
  return 0;
}

int main(int argc, char **argv) {
  const char *manifest = NULL, *image = NULL, *pages = NULL, *pubkey = NULL, *aes_path = NULL;
  size_t chunk_cap = 16384;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--manifest") == 0) manifest = argv[i + 1];
    else if (strcmp(argv[i], "--image") == 0) image = argv[i + 1];
    else if (strcmp(argv[i], "--pages") == 0) pages = argv[i + 1];
    else if (strcmp(argv[i], "--pubkey") == 0) pubkey = argv[i + 1];
    else if (strcmp(argv[i], "--aes-key") == 0) aes_path = argv[i + 1];
    else if (strcmp(argv[i], "--chunk-cap") == 0) chunk_cap = (size_t)strtoul(argv[i + 1], NULL, 10);
    else {
      fprintf(stderr, "fleetgate-mem-report: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  uint8_t *der = NULL, *aes = NULL;
  size_t der_len = 0, aes_len = 32;
  char version[FG_MANIFEST_VERSION_MAX + 1] = "";
  if (manifest == NULL) {
    if (load_vectors(&der, &der_len, &aes) != 0) {
      fprintf(stderr, "fleetgate-mem-report: cannot read the vectors in %s\n", FG_VECTORS_DIR);
      return 3;
    }
  } else {
    s_manifest = fg_host_read_file(manifest, &s_manifest_len);
    s_enc = (uint8_t *)fg_host_read_file(image, &s_enc_len);
    s_pages = (uint8_t *)fg_host_read_file(pages, &s_pages_len);
    der = (uint8_t *)fg_host_read_file(pubkey, &der_len);
    aes = (uint8_t *)fg_host_read_file(aes_path, &aes_len);
    if (!s_manifest || !s_enc || !s_pages || !der || !aes || aes_len != 32) {
      fprintf(stderr, "fleetgate-mem-report: cannot read the input files\n");
      return 3;
    }
  }
  {
    static fg_json_tok_t mtoks[FG_OTA_MANIFEST_TOKENS];
    fg_json_doc_t mdoc;
    if (fg_json_parse(&mdoc, s_manifest, s_manifest_len, mtoks, FG_OTA_MANIFEST_TOKENS) <= 0) {
      fprintf(stderr, "fleetgate-mem-report: the manifest does not parse\n");
      return 3;
    }
    fg_json_obj_str(&mdoc, 0, "version", version, sizeof(version));
  }
  s_slot_cap = s_enc_len;
  s_slot = malloc(s_slot_cap);
  job_t j;
  memset(&j, 0, sizeof(j));
  memcpy(j.version, version, sizeof(j.version));
  fg_ota_keys_init(&j.keys, der, der_len, aes);
  j.chunk_cap = chunk_cap;
  j.page_cap = FG_HASH_PAGE_BYTES(FG_LIMIT_OTA_PAGE_ENTRIES_MAX); /* any page size a header may name */
  j.manifest_cap = FG_LIMIT_OTA_MANIFEST_MAX_BYTES;
  j.toks = FG_OTA_MANIFEST_TOKENS;
  const size_t stack = fg_stackmeter_run(run_ota, &j);
  const int ok = j.rc == 0 && j.res.complete;
  printf("{\"tool\":\"fleetgate-mem-report\",\"build\":\"-Os, no sanitizers (device flags); "
         "mbedTLS %s linked statically, its allocations counted\","
         "\"ota\":{\"ok\":%s,\"rc\":%d,\"version\":\"%s\",\"image_bytes\":%zu,\"chunk_size\":%u,"
         "\"chunks\":%u,\"pages_fetched\":%u,\"heap_peak_bytes\":%zu,\"heap_largest_alloc_bytes\":%zu,"
         "\"heap_allocations\":%zu,\"heap_leaked_bytes\":%zu,\"buffers\":{\"chunk\":%zu,\"page\":%zu,"
         "\"manifest\":%zu,\"tokens\":%zu,\"total\":%zu},\"heap_peak_beyond_buffers_bytes\":%zu,"
         "\"stack_bytes\":%zu,\"static_bytes\":{\"fg_manifest_t\":%zu}}}\n",
         "2.28", ok ? "true" : "false", j.rc, j.res.version, s_enc_len, j.res.chunk_size,
         j.res.total_chunks, j.res.pages_fetched, s_peak, s_largest, s_allocs, s_cur, j.chunk_cap,
         j.page_cap, j.manifest_cap, j.toks * sizeof(fg_json_tok_t), j.buffers,
         s_peak - j.buffers, stack, sizeof(fg_manifest_t));
  return ok ? 0 : 1;
}
