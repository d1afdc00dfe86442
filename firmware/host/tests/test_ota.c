/* The streaming OTA state machine (format 2) with an in-memory gateway serving the vector image
 * of tests/vectors/manifest-v2.json (79 chunks of 256 bytes, 5 hash pages): full install, a bad
 * chunk or hash page refetched alone, interruption + resume across a reboot, a power cut between
 * the pending record and the boot switch, the pending record keyed by the image hash, reporting
 * only after the new image booted and confirmed itself, rollback reported as rolled_back, a
 * failed self-test and a failed confirm(), anti-rollback and downgrade refusals, format 1 and
 * over-sized chunks refused before any flash write. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fg_fakes.h"
#include "fg_test.h"
#include "fg_test_vectors.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_ota.h"
#include "fleetgate/fg_rollback.h"

#define PRV_CHUNKS 79
#define PRV_PAGES 5

typedef struct {
  char *manifest_json;
  uint8_t *enc;
  size_t enc_len;
  uint8_t *pages[PRV_PAGES];
  size_t page_len[PRV_PAGES];
  const char *version;
  int corrupt_chunk;  /**< chunk to corrupt */
  int corrupt_times;  /**< how many fetches of it are corrupted */
  int corrupt_page;
  int corrupt_page_times;
  int drop_chunk;     /**< chunk whose fetch fails with drop_rc */
  int drop_rc;        /**< FG_ERR_TRANSPORT, or what a forged answer gives (FG_ERR_AUTH, ...) */
  int refuse_rc;      /**< FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED: the gateway withdrew it ... */
  int refuse_chunk;   /**< ... from this chunk on (-1: never) */
  int refuse_page;    /**< ... for this page (-1: never) */
  int refuse_manifest;/**< ... at the manifest */
  int manifest_fetches;
  int page_fail_rc;   /**< != 0: every page fetch fails with it (a forged answer, a 4xx) */
  int fetches[PRV_CHUNKS];
  int page_fetches[PRV_PAGES];
  int reports;
  int last_report_ok;
  char last_check[32];
  char last_version[32];
} prv_gateway_t;

static prv_gateway_t s_gw;
static uint8_t *s_fw;
static size_t s_fw_len;
static fg_ota_keys_t s_keys;
static uint8_t *s_der;
static char *s_v1_manifest;

static int prv_src_check(void *ctx, const char *current, char *version, size_t cap) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  snprintf(version, cap, "%s", strcmp(current, g->version) == 0 ? "" : g->version);
  return 0;
}

static int prv_src_manifest(void *ctx, const char *version, char *buf, size_t cap, size_t *len) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  g->manifest_fetches++;
  if (g->refuse_manifest) {
    return g->refuse_rc;
  }
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

static int prv_src_page(void *ctx, const char *version, uint32_t page, uint8_t *buf, size_t cap,
                        size_t *len) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  (void)version;
  if (page >= PRV_PAGES || g->page_len[page] > cap) {
    return FG_ERR_HTTP_STATUS;
  }
  g->page_fetches[page]++;
  if ((int)page == g->refuse_page) {
    return g->refuse_rc;
  }
  if (g->page_fail_rc != 0) {
    return g->page_fail_rc;
  }
  memcpy(buf, g->pages[page], g->page_len[page]);
  *len = g->page_len[page];
  if ((int)page == g->corrupt_page && g->corrupt_page_times > 0) {
    g->corrupt_page_times--;
    buf[FG_HASH_PAGE_HEADER_SIZE + 5] ^= 0x01; /* an entry: the proof no longer reaches the root */
  }
  return 0;
}

static int prv_src_chunk(void *ctx, const char *version, const fg_ota_range_t *r, uint8_t *buf,
                         size_t cap, size_t *len) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  (void)version;
  if (r->chunk < PRV_CHUNKS) {
    g->fetches[r->chunk]++;
  }
  if ((int)r->chunk == g->drop_chunk) {
    return g->drop_rc;
  }
  if (g->refuse_chunk >= 0 && (int)r->chunk >= g->refuse_chunk) {
    return g->refuse_rc;
  }
  if ((size_t)r->offset + r->length > g->enc_len || r->total != g->enc_len) {
    return FG_ERR_HTTP_STATUS;
  }
  if (r->length > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, g->enc + r->offset, r->length);
  if ((int)r->chunk == g->corrupt_chunk && g->corrupt_times > 0) {
    g->corrupt_times--;
    buf[7] ^= 0x01;
  }
  *len = r->length;
  return 0;
}

static int prv_src_report(void *ctx, const char *version, bool ok, const char *check, const char *detail) {
  prv_gateway_t *g = (prv_gateway_t *)ctx;
  (void)detail;
  g->reports++;
  g->last_report_ok = ok;
  snprintf(g->last_check, sizeof(g->last_check), "%s", check);
  snprintf(g->last_version, sizeof(g->last_version), "%s", version);
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
  uint8_t chunk[1024];
  uint8_t page[FG_HASH_PAGE_BYTES(16)];
  char manifest[4096];
  fg_json_tok_t toks[FG_OTA_MANIFEST_TOKENS];
  int events[16];
  uint8_t scratch[512];
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
  cJSON *v1 = fg_test_load_vectors("manifest.json");
  cJSON *v2 = fg_test_load_vectors("manifest-v2.json");
  if (v1 == NULL || v2 == NULL || !fg_test_ota_keys(&s_keys, &s_der)) {
    return 0;
  }
  s_v1_manifest = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v1, "manifest"));
  memset(&s_gw, 0, sizeof(s_gw));
  s_gw.enc = fg_test_hex(fg_test_str(cJSON_GetObjectItemCaseSensitive(v2, "encrypted"), "hex"), &s_gw.enc_len);
  s_gw.manifest_json = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v2, "manifest"));
  const cJSON *pages = cJSON_GetObjectItemCaseSensitive(v2, "pages");
  for (int p = 0; p < PRV_PAGES; p++) {
    s_gw.pages[p] = fg_test_hex(fg_test_str(cJSON_GetArrayItem(pages, p), "answer_hex"), &s_gw.page_len[p]);
  }
  s_gw.version = "2.0.0";
  /* the plaintext, from the formula the vectors state */
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(v2, "params");
  s_fw_len = (size_t)cJSON_GetObjectItemCaseSensitive(params, "firmware_size")->valuedouble;
  s_fw = (uint8_t *)malloc(s_fw_len);
  for (size_t i = 0; i < s_fw_len; i++) {
    s_fw[i] = (uint8_t)((i * 31 + (i >> 8) + 0x5a) & 0xff);
  }
  cJSON_Delete(v1);
  cJSON_Delete(v2);
  return 1;
}

/* A "boot": fresh RAM state, persistent kv and flash kept unless reset_storage. */
static void prv_boot(int reset_storage) {
  s_gw.corrupt_chunk = -1;
  s_gw.drop_chunk = -1;
  s_gw.drop_rc = FG_ERR_TRANSPORT;
  s_gw.refuse_chunk = -1;
  s_gw.refuse_page = -1;
  s_gw.refuse_manifest = 0;
  s_gw.manifest_fetches = 0;
  s_gw.corrupt_page = -1;
  s_gw.corrupt_times = 0;
  s_gw.corrupt_page_times = 0;
  s_gw.page_fail_rc = 0;
  memset(s_gw.fetches, 0, sizeof(s_gw.fetches));
  memset(s_gw.page_fetches, 0, sizeof(s_gw.page_fetches));
  s_gw.reports = 0;
  s_gw.last_check[0] = '\0';
  if (reset_storage) {
    fg_memkv_init(&s_dev.kv, &s_dev.mkv);
    fg_memflash_init(&s_dev.flash, &s_dev.mflash);
  }
  memset(s_dev.events, 0, sizeof(s_dev.events));
  s_dev.plat.kv = &s_dev.kv;
  s_dev.plat.flash = &s_dev.flash;
  s_dev.src = (fg_ota_source_t){prv_src_check, prv_src_manifest, prv_src_page, prv_src_chunk,
                                prv_src_report, &s_gw};
  s_dev.cfg = (fg_ota_config_t){
      .chunk_buf = s_dev.chunk, .chunk_cap = sizeof(s_dev.chunk), .page_buf = s_dev.page,
      .page_cap = sizeof(s_dev.page), .manifest_buf = s_dev.manifest,
      .manifest_cap = sizeof(s_dev.manifest), .toks = s_dev.toks, .toks_cap = FG_OTA_MANIFEST_TOKENS,
      .max_chunk_attempts = 3, .on_event = prv_on_event, .user = &s_dev};
}

static fg_boot_state_t prv_boot_state(fg_rollback_pending_t *p) {
  fg_boot_state_t st = FG_BOOT_NORMAL;
  FG_CHECK_EQ(fg_ota_boot(&s_dev.plat, s_dev.scratch, sizeof(s_dev.scratch), p, &st), 0);
  return st;
}

static void test_full_install_then_confirm_and_report(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", NULL, &r), 0);
  FG_CHECK(r.complete);
  FG_CHECK_STR(r.version, "2.0.0");
  FG_CHECK_EQ(r.chunks_written, PRV_CHUNKS);
  FG_CHECK_EQ(r.pages_fetched, PRV_PAGES);
  FG_CHECK_EQ(r.security_counter, 9);
  FG_CHECK_EQ(s_dev.mflash.finished, 1);
  FG_CHECK_EQ(s_dev.mflash.image_size, s_fw_len);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_PAGE], PRV_PAGES);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_CHUNK], PRV_CHUNKS);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_ACTIVATING], 1);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_VERIFIED], 1);
  for (int p = 0; p < PRV_PAGES; p++) {
    FG_CHECK_EQ(s_gw.page_fetches[p], 1); /* one page held at a time, each fetched once */
  }
  /* no success report yet: only the new image, once confirmed, says so */
  FG_CHECK_EQ(s_gw.reports, 0);
  uint8_t b[64];
  size_t len;
  FG_CHECK_EQ(s_dev.kv.get(s_dev.kv.ctx, FG_OTA_KV_RESUME, b, sizeof(b), &len), FG_ERR_NOT_FOUND);
  fg_rollback_pending_t p;
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), 0);
  FG_CHECK_EQ(p.state, FG_PENDING_INSTALLED);
  FG_CHECK_EQ(p.counter, 9);
  FG_CHECK_STR(p.version, "2.0.0");
  uint32_t min = 99;
  FG_CHECK_EQ(fg_rollback_min(&s_dev.kv, &min), 0);
  FG_CHECK_EQ(min, 0);
  /* reboot into the new image: its bytes hash to the record -> trial; self-test -> confirm */
  prv_boot(0);
  s_dev.mflash.running_is_new = 1;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_TRIAL);
  FG_CHECK_EQ(fg_rollback_confirm(&s_dev.kv, &s_dev.flash, &p, &min), 0);
  FG_CHECK_EQ(min, 9);
  FG_CHECK_EQ(s_dev.mflash.confirmed, 1);
  /* the gateway is down: nothing changes, the report waits */
  prv_boot(0);
  s_dev.mflash.running_is_new = 1;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_CONFIRMED);
  FG_CHECK_EQ(fg_ota_report_outcome(&s_dev.plat, &s_dev.src, "2.0.0", FG_BOOT_CONFIRMED, &p), 0);
  FG_CHECK_EQ(s_gw.reports, 1);
  FG_CHECK(s_gw.last_report_ok);
  FG_CHECK_STR(s_gw.last_version, "2.0.0");
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), FG_ERR_NOT_FOUND);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_NORMAL);
  /* now nothing is offered to 2.0.0 */
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "2.0.0", NULL, &r), FG_ERR_NOTHING);
}

static void test_rollback_is_reported_and_never_raises_the_minimum(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  /* the new image crashed before confirming: the bootloader went back to the old one */
  prv_boot(0);
  s_dev.mflash.running_is_new = 0;
  fg_rollback_pending_t p;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_ROLLED_BACK);
  FG_CHECK_EQ(fg_ota_report_outcome(&s_dev.plat, &s_dev.src, "1.0.4", FG_BOOT_ROLLED_BACK, &p), 0);
  FG_CHECK(!s_gw.last_report_ok);
  FG_CHECK_STR(s_gw.last_check, "rolled_back");
  FG_CHECK_STR(s_gw.last_version, "2.0.0");
  uint32_t min = 99;
  FG_CHECK_EQ(fg_rollback_min(&s_dev.kv, &min), 0);
  FG_CHECK_EQ(min, 0);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_NORMAL);
  /* a failed local self-test: rejected (rolled back), then reported the same way */
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  s_dev.mflash.running_is_new = 1;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_TRIAL);
  FG_CHECK_EQ(s_dev.flash.reject(s_dev.flash.ctx), 0);
  FG_CHECK_EQ(s_dev.mflash.rejected, 1);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_ROLLED_BACK);
  /* confirm() failing confirms nothing: the minimum stays, the record stays installed */
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  s_dev.mflash.running_is_new = 1;
  s_dev.mflash.fail_confirm = 1;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_TRIAL);
  FG_CHECK(fg_rollback_confirm(&s_dev.kv, &s_dev.flash, &p, &min) != 0);
  FG_CHECK_EQ(fg_rollback_min(&s_dev.kv, &min), 0);
  FG_CHECK_EQ(min, 0);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_TRIAL);
}

static void test_power_cut_between_record_and_switch(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_dev.mflash.fail_finish = 1; /* the power goes after the pending record, before the switch */
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_IO);
  fg_rollback_pending_t p;
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), 0);
  /* the old image boots: not a rollback, no report; the record is dropped */
  prv_boot(0);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_NORMAL);
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), FG_ERR_NOT_FOUND);
  /* the next run resumes after the last chunk: re-hash, record, switch */
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  FG_CHECK(r.resumed);
  FG_CHECK_EQ(r.resumed_at, PRV_CHUNKS);
  FG_CHECK_EQ(r.chunks_written, 0);
  FG_CHECK_EQ(s_dev.mflash.finished, 1);
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), 0);
  s_dev.mflash.running_is_new = 1;
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_TRIAL);
}

static void test_bad_chunk_and_bad_page_refetched_alone(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_gw.corrupt_chunk = 20;
  s_gw.corrupt_times = 2;
  s_gw.corrupt_page = 2;
  s_gw.corrupt_page_times = 1;
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  FG_CHECK(r.complete);
  FG_CHECK_EQ(r.refetches, 3);
  FG_CHECK_EQ(s_gw.fetches[20], 3);
  FG_CHECK_EQ(s_gw.fetches[19], 1);
  FG_CHECK_EQ(s_gw.fetches[21], 1);
  FG_CHECK_EQ(s_gw.page_fetches[2], 2);
  FG_CHECK_EQ(s_gw.page_fetches[1], 1);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_CHUNK_REJECTED], 2);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_PAGE_REJECTED], 1);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  /* corrupted more often than the attempts allow: fails with the check, resumable */
  prv_boot(1);
  s_gw.corrupt_chunk = 40;
  s_gw.corrupt_times = 5;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_HASH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "chunk_hash");
  FG_CHECK_EQ(r.failed_chunk, 40);
  FG_CHECK_STR(s_gw.last_check, "chunk_hash");
  prv_boot(0);
  s_gw.corrupt_page = 3;
  s_gw.corrupt_page_times = 5;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_HASH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "hash_page");
  FG_CHECK_STR(s_gw.last_check, "hash_page");
  FG_CHECK_EQ(r.resumed_at, 40);
  /* the next boot: resumes at chunk 48 (page 3's first) and completes; no earlier chunk again */
  prv_boot(0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
  FG_CHECK_EQ(r.resumed_at, 48);
  FG_CHECK_EQ(s_gw.fetches[47], 0);
  FG_CHECK_EQ(s_gw.page_fetches[2], 0);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
}

static void test_interrupt_and_resume(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  static const uint32_t stops[] = {1, 16, 17, 63, 78};
  for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
    const uint32_t stop = stops[k];
    prv_boot(1);
    s_dev.cfg.stop_after_chunks = stop;
    fg_ota_result_t r;
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_INTERRUPTED);
    FG_CHECK_EQ(r.next_chunk, stop);
    prv_boot(0);
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
    FG_CHECK(r.resumed);
    FG_CHECK_EQ(r.resumed_at, stop);
    FG_CHECK_EQ(r.chunks_written, PRV_CHUNKS - stop);
    FG_CHECK_EQ(s_dev.mflash.begun_resume_offset, stop * 256);
    for (uint32_t n = 0; n < stop; n++) {
      FG_CHECK_EQ(s_gw.fetches[n], 0);
    }
    FG_CHECK_EQ(r.pages_fetched, PRV_PAGES - stop / 16);
    FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  }
}

/* A lost network, and what an unsigned or forged answer (a forged 410 "yanked" included) comes
 * out of the gateway source as: retried, then the run ends with the resume record kept and
 * nothing dropped, recorded or reported; the next run continues. */
static void test_transport_failure_keeps_resume(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  static const int fails[] = {FG_ERR_TRANSPORT, FG_ERR_AUTH, FG_ERR_HTTP_STATUS};
  for (size_t k = 0; k < sizeof(fails) / sizeof(fails[0]); k++) {
    prv_boot(1);
    s_gw.drop_chunk = 30;
    s_gw.drop_rc = fails[k];
    fg_ota_result_t r;
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), fails[k]);
    FG_CHECK_EQ(s_gw.fetches[30], 3);
    FG_CHECK_EQ(s_gw.reports, 0);
    FG_CHECK(!r.withdrawn);
    fg_ota_withdrawn_t a;
    FG_CHECK_EQ(fg_ota_withdrawn(&s_dev.kv, &a), FG_ERR_NOT_FOUND);
    prv_boot(0);
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
    FG_CHECK_EQ(r.resumed_at, 30);
    FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  }
}

static int prv_has_resume(void) {
  uint8_t b[128];
  size_t len = 0;
  return s_dev.kv.get(s_dev.kv.ctx, FG_OTA_KV_RESUME, b, sizeof(b), &len) == 0;
}

/* The gateway withdraws the version while it is being downloaded (a signed 410 yanked at a
 * chunk): the run stops at that request — no retry, no further chunk or page — drops the slot
 * writer without switching, erases the resume record, records why, reports nothing. A later run
 * starts afresh (no resume of the withdrawn image) and its activation clears the record. */
static void test_withdrawn_mid_download_is_dropped(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_dev.cfg.persist_every = 4; /* as on the device: the record lags the chunks written */
  s_gw.refuse_rc = FG_ERR_YANKED;
  s_gw.refuse_chunk = 30;
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", NULL, &r), FG_ERR_YANKED);
  FG_CHECK(r.withdrawn);
  FG_CHECK(!r.complete);
  FG_CHECK_EQ(r.chunks_written, 30);
  FG_CHECK_EQ(s_gw.fetches[30], 1); /* final: not retried */
  FG_CHECK_EQ(s_gw.fetches[31], 0); /* and nothing after it */
  FG_CHECK_EQ(s_gw.page_fetches[2], 0);
  FG_CHECK_EQ(r.refetches, 0);
  FG_CHECK_EQ(s_gw.reports, 0); /* the gateway's decision, not a device failure */
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_REPORTED], 0);
  FG_CHECK_EQ(s_dev.events[FG_OTA_EV_WITHDRAWN], 1);
  FG_CHECK_EQ(s_dev.mflash.finished, 0); /* never switched to */
  FG_CHECK_EQ(s_dev.mflash.aborted, 1);
  FG_CHECK(!prv_has_resume());
  fg_rollback_pending_t p;
  FG_CHECK_EQ(fg_rollback_get_pending(&s_dev.kv, &p), FG_ERR_NOT_FOUND);
  fg_ota_withdrawn_t a;
  FG_CHECK_EQ(fg_ota_withdrawn(&s_dev.kv, &a), 0);
  FG_CHECK_STR(a.version, "2.0.0");
  FG_CHECK_EQ(a.reason, FG_ERR_YANKED);
  FG_CHECK_STR(fg_err_name(a.reason), "yanked");
  FG_CHECK_EQ(a.chunks, 30);
  char json[96];
  fg_jsonw_t w;
  fg_jsonw_init(&w, json, sizeof(json));
  fg_ota_withdrawn_json(&w, &a);
  FG_CHECK(fg_jsonw_finish(&w) > 0);
  FG_CHECK_STR(json, "{\"version\":\"2.0.0\",\"reason\":\"yanked\",\"chunks\":30}");
  /* after a reboot the device runs normally; the next run decides afresh: here the gateway serves
   * the image again, and it is fetched from chunk 0, not resumed */
  prv_boot(0);
  FG_CHECK_EQ(prv_boot_state(&p), FG_BOOT_NORMAL);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", NULL, &r), 0);
  FG_CHECK(!r.resumed);
  FG_CHECK_EQ(r.chunks_written, PRV_CHUNKS);
  FG_CHECK_EQ(s_gw.fetches[0], 1);
  FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  FG_CHECK_EQ(fg_ota_withdrawn(&s_dev.kv, &a), FG_ERR_NOT_FOUND); /* cleared by the activation */
}

/* Withdrawn at the manifest (an interrupted download's next run) or at a hash page: the same,
 * and the resume record erased is that version's only. */
static void test_withdrawn_at_manifest_or_page(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  prv_boot(1);
  s_dev.cfg.stop_after_chunks = 20;
  fg_ota_result_t r;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_INTERRUPTED);
  /* another version is refused: 2.0.0's record stays */
  prv_boot(0);
  s_gw.refuse_rc = FG_ERR_YANKED;
  s_gw.refuse_manifest = 1;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.1", &r), FG_ERR_YANKED);
  FG_CHECK(prv_has_resume());
  fg_ota_withdrawn_t a;
  FG_CHECK_EQ(fg_ota_withdrawn(&s_dev.kv, &a), 0);
  FG_CHECK_STR(a.version, "2.0.1");
  FG_CHECK_EQ(a.chunks, 0);
  /* 2.0.0 itself is no longer assigned: its record goes, and why is recorded */
  prv_boot(0);
  s_gw.refuse_rc = FG_ERR_NOT_ASSIGNED;
  s_gw.refuse_manifest = 1;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_NOT_ASSIGNED);
  FG_CHECK(r.withdrawn);
  FG_CHECK_EQ(s_gw.manifest_fetches, 1);
  FG_CHECK(!prv_has_resume());
  FG_CHECK_EQ(fg_ota_withdrawn(&s_dev.kv, &a), 0);
  FG_CHECK_STR(a.version, "2.0.0");
  FG_CHECK_EQ(a.reason, FG_ERR_NOT_ASSIGNED);
  FG_CHECK_STR(fg_err_name(a.reason), "not_assigned");
  FG_CHECK_EQ(a.chunks, 20);
  FG_CHECK_EQ(s_gw.reports, 0);
  /* at a hash page: one request, no retry, no hash_page report */
  prv_boot(1);
  s_gw.refuse_rc = FG_ERR_YANKED;
  s_gw.refuse_page = 2;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_YANKED);
  FG_CHECK_EQ(s_gw.page_fetches[2], 1);
  FG_CHECK_EQ(s_gw.fetches[32], 0);
  FG_CHECK_EQ(r.chunks_written, 32);
  FG_CHECK_EQ(s_gw.reports, 0);
  FG_CHECK(!prv_has_resume());
  FG_CHECK_EQ(s_dev.mflash.finished, 0);
}

/* A hash page that cannot be fetched — an unsigned or forged answer (the gateway source's
 * FG_ERR_AUTH / FG_ERR_HTTP_STATUS), a gateway error — is no failed check: nothing is reported
 * (it used to be reported as hash_page after the last attempt, a failure counted against the
 * rollout that an attacker on the network could cause). Only an authentic page that fails its
 * proof is reported. */
static void test_failed_page_fetch_is_not_reported(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  static const int fails[] = {FG_ERR_AUTH, FG_ERR_HTTP_STATUS, FG_ERR_TRANSPORT};
  for (size_t k = 0; k < sizeof(fails) / sizeof(fails[0]); k++) {
    prv_boot(1);
    s_gw.page_fail_rc = fails[k];
    fg_ota_result_t r;
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), fails[k]);
    FG_CHECK_EQ(s_gw.page_fetches[0], 3); /* retried like a transport error */
    FG_CHECK_EQ(s_gw.reports, 0);
    FG_CHECK_EQ(r.failed_check, FG_OTA_CHECK_NONE);
    FG_CHECK_EQ(s_dev.events[FG_OTA_EV_REPORTED], 0);
    /* the next run, with the gateway answering, installs */
    prv_boot(0);
    FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), 0);
    FG_CHECK_MEM(s_dev.mflash.data, s_fw, s_fw_len);
  }
}

static void test_refusals_before_any_flash_write(void) {
  if (!prv_setup_vectors()) {
    return;
  }
  fg_ota_result_t r;
  /* anti-rollback */
  prv_boot(1);
  FG_CHECK_EQ(fg_kv_set_u32(&s_dev.kv, FG_ROLLBACK_KEY_MIN, 10), 0);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_ROLLBACK);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "rollback");
  FG_CHECK_STR(s_gw.last_check, "rollback");
  FG_CHECK_EQ(s_dev.mflash.begun, 0);
  /* device policy: an authentic but older version */
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "2.0.1", "2.0.0", &r), FG_ERR_ROLLBACK);
  FG_CHECK_STR(s_gw.last_check, "downgrade");
  FG_CHECK_EQ(s_dev.mflash.begun, 0);
  prv_boot(1);
  s_dev.cfg.allow_downgrade = true;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "2.0.1", "2.0.0", &r), 0);
  /* chunks larger than this device's chunk buffer */
  prv_boot(1);
  s_dev.cfg.chunk_cap = 128;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_UNSUPPORTED);
  FG_CHECK_STR(s_gw.last_check, "chunk_length");
  FG_CHECK_EQ(s_dev.mflash.begun, 0);
  /* a format 1 manifest (the full chunk list) is not this device's path */
  prv_boot(1);
  char *v2 = s_gw.manifest_json;
  s_gw.manifest_json = s_v1_manifest;
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_UNSUPPORTED);
  FG_CHECK_STR(s_gw.last_check, "header_format");
  /* asked for 2.0.1, the gateway serves the authentic 2.0.0 manifest under that name */
  s_gw.manifest_json = v2;
  s_gw.version = "2.0.1";
  prv_boot(1);
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.1", &r), FG_ERR_MISMATCH);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "manifest_mismatch");
  s_gw.version = "2.0.0";
  /* garbage */
  s_gw.manifest_json = (char *)"{\"version\":\"2.0.0\"}";
  FG_CHECK_EQ(fg_ota_run(&s_dev.plat, &s_keys, &s_dev.src, &s_dev.cfg, "1.0.4", "2.0.0", &r), FG_ERR_FORMAT);
  FG_CHECK_STR(fg_ota_check_name((fg_ota_check_t)r.failed_check), "manifest_format");
  s_gw.manifest_json = v2;
  FG_CHECK_EQ(s_dev.mflash.begun, 0);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_full_install_then_confirm_and_report),
      FG_TEST_CASE(test_rollback_is_reported_and_never_raises_the_minimum),
      FG_TEST_CASE(test_power_cut_between_record_and_switch),
      FG_TEST_CASE(test_bad_chunk_and_bad_page_refetched_alone),
      FG_TEST_CASE(test_interrupt_and_resume),
      FG_TEST_CASE(test_transport_failure_keeps_resume),
      FG_TEST_CASE(test_failed_page_fetch_is_not_reported),
      FG_TEST_CASE(test_withdrawn_mid_download_is_dropped),
      FG_TEST_CASE(test_withdrawn_at_manifest_or_page),
      FG_TEST_CASE(test_refusals_before_any_flash_write),
  };
  const int rc = fg_test_run("ota", cases, sizeof(cases) / sizeof(cases[0]));
  free(s_fw);
  free(s_gw.enc);
  free(s_gw.manifest_json);
  for (int p = 0; p < PRV_PAGES; p++) {
    free(s_gw.pages[p]);
  }
  free(s_v1_manifest);
  free(s_der);
  return rc;
}
