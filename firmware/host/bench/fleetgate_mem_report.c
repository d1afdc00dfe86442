/**
 * fleetgate-mem-report: measured stack of the OTA path on the device build of the core (-Os, no
 * sanitizers). Runs the whole OTA state machine (manifest parse, header RSA-PSS, chunk table,
 * per-chunk SHA-256 + AES-256-CBC, flash write, read-back hash, firmware RSA-PSS) over the shared
 * vector image tests/vectors/manifest.json with an in-memory gateway and flash, on a painted
 * stack, and prints JSON: stack high-water, the caller buffers it needed, and the core's static
 * RAM (the fg_manifest_t and fg_device_config_t statics).
 *
 * usage: fleetgate-mem-report [path/to/manifest.json]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fg_host_file.h"
#include "fg_stackmeter.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_ota.h"

static char *s_manifest;
static size_t s_manifest_len;
static uint8_t *s_enc;
static size_t s_enc_len;
static uint32_t s_chunk_size;
static uint8_t s_slot[1 << 16];
static size_t s_image;
static uint8_t s_kv_res[64];
static size_t s_kv_res_len;

static int kv_get(void *c, const char *k, void *b, size_t cap, size_t *len) {
  (void)c;
  if (strcmp(k, FG_OTA_KV_RESUME) != 0 || s_kv_res_len == 0) {
    return FG_ERR_NOT_FOUND;
  }
  *len = s_kv_res_len;
  if (s_kv_res_len > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(b, s_kv_res, s_kv_res_len);
  return 0;
}
static int kv_set(void *c, const char *k, const void *d, size_t n) {
  (void)c;
  if (strcmp(k, FG_OTA_KV_RESUME) == 0 && n <= sizeof(s_kv_res)) {
    memcpy(s_kv_res, d, n);
    s_kv_res_len = n;
  }
  return 0;
}
static int kv_erase(void *c, const char *k) {
  (void)c;
  if (strcmp(k, FG_OTA_KV_RESUME) == 0) {
    s_kv_res_len = 0;
  }
  return 0;
}
static int fl_begin(void *c, size_t size, size_t off) {
  (void)c;
  (void)off;
  s_image = size;
  return size <= sizeof(s_slot) ? 0 : FG_ERR_RANGE;
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
static int src_initiate(void *c, const char *v, char *buf, size_t cap, size_t *len) {
  (void)c;
  (void)v;
  if (s_manifest_len > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, s_manifest, s_manifest_len);
  *len = s_manifest_len;
  return 0;
}
static int src_chunk(void *c, const char *v, uint32_t n, uint8_t *buf, size_t cap, size_t *len) {
  (void)c;
  (void)v;
  const size_t off = (size_t)n * s_chunk_size;
  size_t l = s_enc_len - off < s_chunk_size ? s_enc_len - off : s_chunk_size;
  if (l > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, s_enc + off, l);
  *len = l;
  return 0;
}

typedef struct {
  fg_ota_keys_t keys;
  fg_ota_config_t cfg;
  int rc;
  fg_ota_result_t res;
  char version[32];
} job_t;

static void run_ota(void *p) {
  job_t *j = (job_t *)p;
  static const fg_kv_t kv = {kv_get, kv_set, kv_erase, NULL};
  static const fg_flash_t fl = {fl_begin, fl_write, fl_read, fl_finish, fl_nop, fl_nop, NULL};
  static const fg_ota_source_t src = {NULL, src_initiate, src_chunk, NULL, NULL};
  const fg_platform_t plat = {.kv = &kv, .flash = &fl};
  j->rc = fg_ota_run(&plat, &j->keys, &src, &j->cfg, "0.0.1", j->version, &j->res);
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

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : FG_VECTORS_DIR "/manifest.json";
  size_t len = 0;
  char *text = fg_host_read_file(path, &len);
  if (text == NULL) {
    fprintf(stderr, "fleetgate-mem-report: cannot read %s\n", path);
    return 3;
  }
  static fg_json_tok_t toks[4096];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, text, len, toks, 4096) <= 0) {
    fprintf(stderr, "fleetgate-mem-report: bad JSON\n");
    return 3;
  }
  const int keys = fg_json_obj_get(&doc, 0, "keys");
  const int man = fg_json_obj_get(&doc, 0, "manifest");
  const int enc = fg_json_obj_get(&doc, 0, "encrypted");
  size_t der_len = 0, aes_len = 0;
  uint8_t *der = hex_field(&doc, keys, "public_key_der_hex", &der_len);
  uint8_t *aes = hex_field(&doc, keys, "aes_key_hex", &aes_len);
  s_enc = hex_field(&doc, enc, "hex", &s_enc_len);
  s_manifest = text + toks[man].start;
  s_manifest_len = toks[man].end - toks[man].start;
  fg_json_obj_u32(&doc, man, "chunk_size", &s_chunk_size);
  job_t j;
  memset(&j, 0, sizeof(j));
  fg_json_obj_str(&doc, man, "version", j.version, sizeof(j.version));
  uint32_t total = 0;
  fg_json_obj_u32(&doc, man, "total_chunks", &total);
  fg_ota_keys_init(&j.keys, der, der_len, aes);
  /* the buffers a device gives the state machine for this image */
  static uint8_t chunk[1024];
  static uint8_t table[32 * 3];
  static char mbuf[8192];
  static fg_json_tok_t mtoks[3 + 48];
  j.cfg = (fg_ota_config_t){.chunk_buf = chunk, .chunk_cap = s_chunk_size, .table = table,
                            .table_cap = 32u * total, .manifest_buf = mbuf,
                            .manifest_cap = s_manifest_len, .toks = mtoks,
                            .toks_cap = total + 48, .max_chunk_attempts = 3};
  const size_t stack = fg_stackmeter_run(run_ota, &j);
  const size_t buffers = s_chunk_size + 32u * total + s_manifest_len + (total + 48) * sizeof(fg_json_tok_t);
  printf("{\"tool\":\"fleetgate-mem-report\",\"build\":\"-Os, no sanitizers (device flags)\","
         "\"ota\":{\"ok\":%s,\"version\":\"%s\",\"chunks\":%u,\"chunk_size\":%u,"
         "\"stack_bytes\":%zu,\"buffers_bytes\":%zu,\"buffers\":{\"chunk\":%u,\"chunk_table\":%u,"
         "\"manifest_json\":%zu,\"json_tokens\":%zu},\"peak_working_bytes\":%zu,"
         "\"static_bytes\":{\"fg_manifest_t\":%zu,\"fg_ota_verify_t_on_stack\":%zu},"
         "\"formula\":\"chunk_size + 32*total_chunks + manifest_json + (total_chunks+48)*%zu + stack\"}}\n",
         j.rc == 0 && j.res.complete ? "true" : "false", j.version, total, s_chunk_size, stack,
         buffers, s_chunk_size, 32u * total, s_manifest_len, (total + 48) * sizeof(fg_json_tok_t),
         buffers + stack, sizeof(fg_manifest_t), sizeof(fg_ota_verify_t), sizeof(fg_json_tok_t));
  free(der);
  free(aes);
  free(s_enc);
  free(text);
  return j.rc == 0 ? 0 : 1;
}
