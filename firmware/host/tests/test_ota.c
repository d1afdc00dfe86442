/* OTA state machine with an in-memory gateway serving the vector image: full install, bad
 * chunk refetch, interruption + resume (across a simulated reboot), rollback, wrong version,
 * reports, and the anti-rollback counter lifecycle. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fg_fakes.h"
#include "fg_test.h"
#include "fg_test_vectors.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_ota.h"
#include "fleetgate/fg_rollback.h"

typedef struct {
  char *manifest_json;
  uint8_t *enc;
  size_t enc_len;
  uint32_t chunk_size;
  const char *version;
  int corrupt_chunk;      /**< chunk to corrupt */
  int corrupt_times;      /**< how many fetches of it are corrupted */
  int drop_chunk;         /**< chunk whose fetch fails with a transport error */
  int fetches[16];
  int reports;
  int last_report_ok;
  char last_check[32];
  int checks;
} prv_gateway_t;

static prv_gateway_t s_gw;
static uint8_t *s_fw;
static size_t s_fw_len;
static fg_ota_keys_t s_keys;
static uint8_t *s_der;

static int prv_src_check(void *ctx, const char *current, char *version, size_t cap) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  g->checks++;
  snprintf(version, cap, "%s", strcmp(current, g->version) == 0 ? "" : g->version);
  return 0;
}

static int prv_src_initiate(void *ctx, const char *version, char *buf, size_t cap, size_t *len) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  if (strcmp(version, g->version) != 0) {
    return FG_ERR_HTTP_STATUS;
  }
  const size_t n = strlen(g->manifest_json);
  if (n > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, g->manifest_json, n);
  *len = n;
  return 0;
}

static int prv_src_chunk(void *ctx, const char *version, uint32_t n, uint8_t *buf, size_t cap, size_t *len) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  (void)version;
  if (n < 16) {
    g->fetches[n]++;
  }
  if ((int)n == g->drop_chunk) {
    return FG_ERR_TRANSPORT;
  }
  const size_t off = (size_t)n * g->chunk_size;
  if (off >= g->enc_len) {
    return FG_ERR_HTTP_STATUS;
  }
  size_t l = g->enc_len - off < g->chunk_size ? g->enc_len - off : g->chunk_size;
  if (l > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, g->enc + off, l);
  if ((int)n == g->corrupt_chunk && g->corrupt_times > 0) {
    g->corrupt_times--;
    buf[7] ^= 0x01;
  }
  *len = l;
  return 0;
}

static int prv_src_report(void *ctx, const char *version, bool ok, const char *check, const char *detail) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  (void)version;
  (void)detail;
  g->reports++;
  g->last_report_ok = ok;
  snprintf(g->last_check, sizeof(g->last_check), "%s", check);
  return 0;
}

typedef struct {
  fg_kv_t kv;
  fg_memkv_t mkv;
  fg_flash_t flash;
  fg_memflash_t mflash;
  fg_platform_t plat;
  fg_ota_source_t src;
  fg_ota_config_t cfg;
  uint8_t chunk[2048];
  uint8_t table[32 * 16];
  char manifest[8192];
  fg_json_tok_t toks[128];
  int events[16];
} prv_dev_t;

static prv_dev_t s_dev;

static void prv_on_event(void *user, const fg_ota_event_t *ev) {
  prv_dev_t *d = (prv_dev_t *)user;
  if (ev->type < 16) {
    d->events[ev->type]++;
  }
}

static int prv_setup_vectors(void) {
  if (s_fw != NULL) {
    return 1;
  }
  cJSON *root = fg_test_load_vectors("manifest.json");
  if (root == NULL) {
    return 0;
  }
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
  size_t der_len = 0;
  s_der = fg_test_hex(fg_test_str(keys, "public_key_der_hex"), &der_len);
  uint8_t *aes = fg_test_hex(fg_test_str(keys, "aes_key_hex"), NULL);
  fg_ota_keys_init(&s_keys, s_der, der_len, aes);
  free(aes);
  s_fw = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(root, "firmware"), "hex"), &s_fw_len);
  memset(&s_gw, 0, sizeof(s_gw));
  s_gw.enc = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(root, "encrypted"), "hex"), &s_gw.enc_len);
  s_gw.manifest_json = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "manifest"));
  s_gw.chunk_size = 1024;
  s_gw.version = "1.0.5";
  cJSON_Delete(root);
  return 1;
}

/* A "boot": fresh RAM state, persistent kv and flash kept unless reset_storage. */
static void prv_boot(int reset_storage) {
  prv_gateway_t keep = s_gw;
  s_gw.corrupt_chunk = -1;
  s_gw.drop_chunk = -1;
  s_gw.corrupt_times = 0;
  memset(s_gw.fetches, 0, sizeof(s_gw.fetches));
  s_gw.reports = 0;
  s_gw.last_check[0] = '\0';
  (void)keep;
  if (reset_storage) {
    fg_memkv_init(&s_dev.kv, &s_dev.mkv);
    fg_memflash_init(&s_dev.flash, &s_dev.mflash);
  }
  memset(s_dev.events, 0, sizeof(s_dev.events));
  s_dev.plat.kv = &s_dev.kv;
  s_dev.plat.flash = &s_dev.flash;
  s_dev.src = (fg_ota_source_t){prv_src_check, prv_src_initiate, prv_src_chunk, prv_src_report, &s_gw};
  s_dev.cfg = (fg_ota_config_t){
      .chunk_buf = s_dev.chunk, .chunk_cap = sizeof(s_dev.chunk), .table = s_dev.table,
      .table_cap = sizeof(s_dev.table), .manifest_buf = s_dev.manifest,
      .manifest_cap = sizeof(s_dev.manifest), .toks = s_dev.toks, .toks_cap = 128,
      .max_chunk_attempts = 3, .on_event = prv_on_event, .user = &s_dev};
}

static void test_full_install(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", NULL, &r), 0);
  FG_CHECK(r.complete);
  FG_CHECK_STR(r.version, "1.0.5");
  FG_CHECK_EQ(r.chunks_written, 3);
  FG_CHECK_EQ(r.security_counter, 7);
  FG_CHECK_EQ(s_dev.mflash.finished, 1);
  FG_CHECK_EQ(s_dev.mflash.image_size, s_fw_len);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  FG_CHECK_EQ(s_gw.reports, 1);
  FG_CHECK(s_gw.last_report_ok);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_AVAILABLE], 1);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_CHUNK], 3);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_VERIFIED], 1);
  /* no resume record left; the counter is pending until the new image confirms itself */
  uint8_t b[64];
  size_t len;
  FG_CHECK_EQ(s_dev.kv.get(s_dev.kv.ctx, FG_OTA_KV_RESUME, b, sizeof(b), &len), FG_ERR_NOT_FOUND);
  uint32_t min = 99;
  FG_CHECK_EQ(fg_rollback_min(&s_dev.kv, &min), 0);
  FG_CHECK_EQ(min, 0);
  /* the old image (rolled back) confirming does not raise it */
  FG_CHECK_EQ(fg_rollback_confirm(&s_dev.kv, "1.0.4", &min), 0);
  FG_CHECK_EQ(min, 0);
  /* install again; the new image confirms: min becomes 7 */
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK_EQ(fg_rollback_confirm(&s_dev.kv, "1.0.5", &min), 0);
  FG_CHECK_EQ(min, 7);
  /* now nothing is offered to 1.0.5 */
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.5", NULL, &r), FG_ERR_NOTHING);
}

static void test_bad_chunk_is_refetched(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_gw.corrupt_chunk = 1;
  s_gw.corrupt_times = 2;
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK(r.complete);
  FG_CHECK_EQ(r.refetches, 2);
  FG_CHECK_EQ(s_gw.fetches[1], 3);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_CHUNK_REJECTED], 2);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  /* corrupted more often than the attempts allow: fails with chunk_hash, resumable */
  prv_boot(1);
  s_gw.corrupt_chunk = 2;
  s_gw.corrupt_times = 5;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_HASH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "chunk_hash");
  FG_CHECK_EQ(r.failed_chunk, 2);
  FG_CHECK_EQ(s_gw.reports, 1);
  FG_CHECK_STR(s_gw.last_check, "chunk_hash");
  FG_CHECK_EQ(s_dev.mflash.finished, 0);
  /* next boot: resumes at chunk 2 and completes */
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK(r.resumed);
  FG_CHECK_EQ(r.resumed_at, 2);
  FG_CHECK_EQ(s_gw.fetches[0], 0);
  FG_CHECK_EQ(s_gw.fetches[1], 0);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
}

static void test_interrupt_and_resume(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  for (uint32_t stop = 1; stop <= 3; stop++) {
    prv_boot(1);
    s_dev.cfg.stop_after_chunks = stop;
    fg_ota_result_t r;
    const int rc = fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r);
    if (stop < 3) {
      FG_CHECK_EQ(rc, FG_ERR_INTERRUPTED);
      FG_CHECK_EQ(r.next_chunk, stop);
      FG_CHECK_EQ(s_dev.events[FG_OTA_EV_INTERRUPTED], 1);
      FG_CHECK_EQ(s_gw.reports, 0);
      /* reboot, resume */
      prv_boot(0);
      FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
      FG_CHECK(r.resumed);
      FG_CHECK_EQ(r.resumed_at, stop);
      FG_CHECK_EQ(r.chunks_written, 3 - stop);
      FG_CHECK_EQ(s_dev.mflash.begun_resume_offset, stop * 1024);
      for (uint32_t n = 0; n < stop; n++) {
        FG_CHECK_EQ(s_gw.fetches[n], 0);
      }
    } else {
      FG_CHECK_EQ(rc, 0); /* stop after the last chunk: nothing left to stop */
    }
    FG_CHECK(r.complete);
    FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  }
}

static void test_transport_failure_keeps_resume(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_gw.drop_chunk = 1;
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_TRANSPORT);
  FG_CHECK_EQ(s_gw.fetches[1], 3);
  FG_CHECK_EQ(s_gw.reports, 0);
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK_EQ(r.resumed_at, 1);
  /* a flash failure mid-way: error, then a clean resume */
  prv_boot(1);
  s_dev.mflash.fail_write_at = 2;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_IO);
  prv_boot(0);
  s_dev.mflash.fail_write_at = 0;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK_EQ(r.resumed_at, 1);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
}

static void test_rollback_refused(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  FG_CHECK_EQ(fg_kv_set_u32(&s_dev.kv, FG_ROLLBACK_KEY_MIN, 8), 0);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_ROLLBACK);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "rollback");
  FG_CHECK_STR(s_gw.last_check, "rollback");
  FG_CHECK_EQ(s_dev.mflash.begun, 0); /* nothing touched the slot */
}

/* device policy: an authentic but older version is refused before any flash write */
static void test_downgrade_refused(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.10", "1.0.5", &r), FG_ERR_ROLLBACK);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "downgrade");
  FG_CHECK_EQ(s_gw.reports, 1);
  FG_CHECK(!s_gw.last_report_ok);
  FG_CHECK_STR(s_gw.last_check, "downgrade");
  FG_CHECK_EQ(s_dev.mflash.begun, 0);
  /* re-installing the running version is allowed */
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.5", "1.0.5", &r), 0);
  FG_CHECK(r.complete);
  /* a pre-release of the same version is older than the release: an upgrade */
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.5-rc.1", "1.0.5", &r), 0);
  /* explicitly allowed, or a running version that is not SemVer: the counter decides alone */
  prv_boot(1);
  s_dev.cfg.allow_downgrade = true;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "2.0.0", "1.0.5", &r), 0);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "v2-dirty", "1.0.5", &r), 0);
}

static void test_resume_record_of_other_image_ignored(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  uint8_t junk[56];
  memset(junk, 0, sizeof(junk));
  junk[0] = 'F';
  junk[1] = 'G';
  junk[2] = 'O';
  junk[3] = 'R';
  junk[36] = 2; /* next chunk 2 of some other image */
  FG_CHECK_EQ(s_dev.kv.set(s_dev.kv.ctx, FG_OTA_KV_RESUME, junk, sizeof(junk)), 0);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), 0);
  FG_CHECK(!r.resumed);
  FG_CHECK_EQ(r.chunks_written, 3);
}

static void test_manifest_problems(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  fg_ota_result_t r;
  /* asked for 1.0.6 but the gateway serves the authentic 1.0.5 manifest under that name */
  const char *real = s_gw.version;
  s_gw.version = "1.0.6";
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.6", &r), FG_ERR_MISMATCH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "manifest_mismatch");
  s_gw.version = real;
  /* garbage manifest */
  char *saved = s_gw.manifest_json;
  s_gw.manifest_json = (char *)"{\"version\":\"1.0.5\"}";
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_FORMAT);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "manifest_format");
  s_gw.manifest_json = saved;
  /* buffers too small are reported as such, not as a bad manifest */
  s_dev.cfg.manifest_cap = 100;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "1.0.5", &r), FG_ERR_BUFFER_TOO_SMALL);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_full_install),           FG_TEST_CASE(test_bad_chunk_is_refetched),
      FG_TEST_CASE(test_interrupt_and_resume),   FG_TEST_CASE(test_transport_failure_keeps_resume),
      FG_TEST_CASE(test_rollback_refused),       FG_TEST_CASE(test_resume_record_of_other_image_ignored),
      FG_TEST_CASE(test_manifest_problems),      FG_TEST_CASE(test_downgrade_refused),
  };
  const int rc = fg_test_run("ota", cases, sizeof(cases) / sizeof(cases[0]));
  free(s_fw);
  free(s_gw.enc);
  free(s_gw.manifest_json);
  free(s_der);
  return rc;
}
