/**
 * fleetgate device app (ESP-IDF). Thin by design: everything protocol-related is the portable
 * core (components/fleetgate); this file wires the ESP-IDF port and runs the loop:
 *
 *   boot: NVS, identity (NVS "fg_prov" or the dev fallback), Wi-Fi, SNTP, diagnostics with
 *         boot_id + reset_reason; a freshly updated image runs a local self-test for
 *         CONFIG_FLEETGATE_SELFTEST_SECONDS and then confirms itself — the gateway plays no part,
 *         so an unreachable gateway never rolls a good image back; a crash before that (the
 *         bootloader rolls back at the next reset) or a failed self-test does
 *   every loop turn:             report the last update's outcome once (success from the new
 *                                image after it confirmed itself; "rolled_back" otherwise)
 *   every poll_frequency s:      read the configured registers into the sample buffer
 *   every upload_frequency s:    frame -> pack (configured method) -> signed upload
 *   every upload_frequency s:    poll one command, execute, post the result
 *   every heartbeat_interval s:  diagnostics; if the gateway's config_version differs, GET /config
 *   every OTA check interval:    fg_ota_run (check, manifest, hash pages, Range chunks, verify,
 *                                pending record, boot switch); heap for it: one chunk, one page,
 *                                the manifest and its tokens, freed afterwards
 *
 * Buffers are allocated when the configuration changes (register count), never per upload; the
 * core itself never allocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_sensor.h"
#include "app_wifi.h"
#include "esp_app_desc.h"
#include "esp_log.h"
#include "esp_ota_ops.h"
#include "esp_system.h"
#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_client.h"
#include "fleetgate/fg_codec.h"
#include "fleetgate/fg_control.h"
#include "fleetgate/fg_envelope.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_frame.h"
#include "fleetgate/fg_hash_tree.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_nonce.h"
#include "fleetgate/fg_ota.h"
#include "fleetgate/fg_ota_gateway.h"
#include "fleetgate/fg_rollback.h"
#include "fleetgate/port/fg_esp.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "keys.h"
#include "nvs.h"
#include "nvs_flash.h"

#define MAX_SAMPLES CONFIG_FLEETGATE_MAX_SAMPLES
#define RX_CAP 4096
/* The largest chunk this device accepts: its largest single allocation (<= 16 KiB). */
#define OTA_MAX_CHUNK ((size_t)CONFIG_FLEETGATE_OTA_MAX_CHUNK_SIZE)

static const char *TAG = "fleetgate";

/* ---- platform ----------------------------------------------------------------------------- */
static fg_kv_t s_kv;
static fg_esp_kv_ctx_t s_kv_ctx;
static fg_clock_t s_clock;
static fg_random_t s_rnd;
static fg_http_t s_http;
static fg_esp_http_ctx_t s_http_ctx;
static fg_flash_t s_flash;
static fg_esp_flash_ctx_t s_flash_ctx;
static fg_platform_t s_plat;
static fg_nonce_t s_nonce;
static fg_client_t s_client;
static uint8_t s_rx[RX_CAP];
static fg_ota_keys_t s_ota_keys;
static bool s_ota_keys_ok;

/* ---- state -------------------------------------------------------------------------------- */
static char s_device_id[FG_DEVICE_ID_MAX + 1];
static uint8_t s_key[32];
static fg_device_config_t s_cfg;
static fg_boot_state_t s_boot_state;
static fg_rollback_pending_t s_pending;
static bool s_identity_ok;
static char s_last_upload[32] = "none";

/* sample buffer: raw values with a fixed scale per register (from the sensor's resolution) */
static uint32_t s_ts[MAX_SAMPLES];
static double *s_values; /* MAX_SAMPLES x n_registers */
static uint32_t s_count;
/* upload buffers, sized for MAX_SAMPLES rows of the configured registers */
static uint8_t *s_frame;
static size_t s_frame_cap;
static uint8_t *s_packed;
static size_t s_packed_cap;
static uint32_t *s_scratch;
static size_t s_scratch_words;
static char *s_payload;
static size_t s_payload_cap;
static char *s_envelope;
static size_t s_envelope_cap;

static const char *prv_version(void) { return esp_app_get_description()->version; }

static const char *prv_reset_reason(void) {
  switch (esp_reset_reason()) {
    case ESP_RST_POWERON: return "poweron";
    case ESP_RST_EXT: return "external";
    case ESP_RST_SW: return "software";
    case ESP_RST_PANIC: return "panic";
    case ESP_RST_INT_WDT:
    case ESP_RST_TASK_WDT:
    case ESP_RST_WDT: return "watchdog";
    case ESP_RST_DEEPSLEEP: return "deepsleep";
    case ESP_RST_BROWNOUT: return "brownout";
    default: return "unknown";
  }
}

/* ---- identity: NVS namespace fg_prov (nvs_partition_gen), else the Kconfig dev fallback ---- */
static bool prv_load_identity(void) {
  nvs_handle_t h;
  if (nvs_open("fg_prov", NVS_READONLY, &h) == ESP_OK) {
    size_t id_len = sizeof(s_device_id);
    size_t key_len = sizeof(s_key);
    const bool ok = nvs_get_str(h, "device_id", s_device_id, &id_len) == ESP_OK &&
                    nvs_get_blob(h, "device_key", s_key, &key_len) == ESP_OK && key_len == 32;
    nvs_close(h);
    if (ok && fg_client_device_id_valid(s_device_id)) {
      return true;
    }
  }
  const char *hex = CONFIG_FLEETGATE_DEV_DEVICE_KEY_HEX;
  if (strlen(CONFIG_FLEETGATE_DEV_DEVICE_ID) > 0 && strlen(hex) == 64 &&
      fg_hex_decode(hex, 64, s_key, 32) == 32) {
    snprintf(s_device_id, sizeof(s_device_id), "%s", CONFIG_FLEETGATE_DEV_DEVICE_ID);
    ESP_LOGW(TAG, "using the compiled-in development identity %s", s_device_id);
    return fg_client_device_id_valid(s_device_id);
  }
  return false;
}

/* ---- configuration ------------------------------------------------------------------------ */
static void prv_alloc_buffers(void) {
  free(s_values);
  free(s_frame);
  free(s_packed);
  free(s_scratch);
  free(s_payload);
  free(s_envelope);
  const uint32_t n = s_cfg.n_registers;
  fg_frame_layout_t l;
  memset(&l, 0, sizeof(l));
  l.field_count = (uint8_t)n;
  l.sample_count = MAX_SAMPLES;
  for (uint32_t f = 0; f < n; f++) {
    /* worst-case names for sizing */
    memset(l.fields[f].name, 'x', FG_FRAME_NAME_MAX);
    l.fields[f].name[FG_FRAME_NAME_MAX] = '\0';
    l.fields[f].name[0] = (char)('a' + (f % 26));
    l.fields[f].name[1] = (char)('a' + (f / 26));
  }
  s_frame_cap = fg_frame_size(&l);
  s_packed_cap = fg_codec_pack_bound(FG_METHOD_DICTIONARY, s_frame_cap, n, MAX_SAMPLES);
  s_scratch_words = fg_codec_scratch_words(FG_METHOD_SMART, MAX_SAMPLES);
  const size_t plain = 64 + (size_t)MAX_SAMPLES * (32 + n * (FG_FRAME_NAME_MAX + 28));
  const size_t packed_json = FG_BASE64_ENCODED_LEN(s_packed_cap) + 256;
  s_payload_cap = plain > packed_json ? plain : packed_json;
  s_envelope_cap = FG_ENVELOPE_MAX_LEN(strlen(s_device_id), s_payload_cap);
  s_values = calloc((size_t)MAX_SAMPLES * (n ? n : 1), sizeof(double));
  s_frame = malloc(s_frame_cap);
  s_packed = malloc(s_packed_cap);
  s_scratch = malloc(s_scratch_words * 4);
  s_payload = malloc(s_payload_cap);
  s_envelope = malloc(s_envelope_cap);
  s_count = 0;
  if (!s_values || !s_frame || !s_packed || !s_scratch || !s_payload || !s_envelope) {
    ESP_LOGE(TAG, "out of memory for %lu registers x %d samples", (unsigned long)n, MAX_SAMPLES);
    esp_restart();
  }
}

static void prv_save_config(void) {
  char cfg[1024];
  if (fg_config_to_json(&s_cfg, cfg, sizeof(cfg)) > 0) {
    s_kv.set(s_kv.ctx, "cfg", cfg, strlen(cfg));
    fg_kv_set_u32(&s_kv, "cfg_ver", s_cfg.config_version);
  }
}

static void prv_load_config(void) {
  fg_config_defaults(&s_cfg);
  char text[1024];
  size_t len = 0;
  if (s_kv.get(s_kv.ctx, "cfg", text, sizeof(text) - 1, &len) == 0) {
    fg_json_tok_t toks[80];
    fg_json_doc_t doc;
    if (fg_json_parse(&doc, text, len, toks, 80) > 0) {
      (void)fg_config_merge(&s_cfg, &doc, 0, NULL);
    }
    (void)fg_kv_get_u32(&s_kv, "cfg_ver", &s_cfg.config_version);
  }
}

static void prv_apply_config_change(uint32_t changed) {
  prv_save_config();
  if (changed & FG_CFG_REGISTERS) {
    prv_alloc_buffers(); /* the buffered samples had the old register set: dropped */
  }
  ESP_LOGI(TAG, "config v%lu applied: poll %lus upload %lus method %s",
           (unsigned long)s_cfg.config_version, (unsigned long)s_cfg.poll_frequency_s,
           (unsigned long)s_cfg.upload_frequency_s, s_cfg.compression_method);
}

/* ---- self-test of a new image ------------------------------------------------------------- */
/* What this image can check on its own: its keys.h is consistent (else it could never update
 * again), it has an identity and buffers, and it ran its loop for the self-test window without
 * crashing (a crash resets into the bootloader, which rolls an unconfirmed image back). */
static void prv_selftest(void) {
  if (s_boot_state != FG_BOOT_TRIAL) {
    return;
  }
  const uint64_t uptime = s_clock.uptime_ms(s_clock.ctx);
  if (uptime < (uint64_t)CONFIG_FLEETGATE_SELFTEST_SECONDS * 1000u) {
    return;
  }
  if (!s_ota_keys_ok || !s_identity_ok || s_frame == NULL) {
    ESP_LOGE(TAG, "image %s failed its self-test: rolling back", prv_version());
    (void)s_flash.reject(s_flash.ctx); /* does not return on success */
    return;
  }
  uint32_t min = 0;
  const int rc = fg_rollback_confirm(&s_kv, &s_flash, &s_pending, &min);
  if (rc != 0) {
    /* not confirmed: the bootloader rolls back at the next reset; try again next turn */
    ESP_LOGE(TAG, "confirming image %s failed: %s", prv_version(), fg_err_name(rc));
    return;
  }
  s_boot_state = FG_BOOT_CONFIRMED;
  ESP_LOGI(TAG, "image %s confirmed; anti-rollback minimum %lu", prv_version(), (unsigned long)min);
}

/* The last update's outcome, once the gateway takes it (kept in NVS until then). */
static void prv_report_update(void) {
  if (s_boot_state != FG_BOOT_CONFIRMED && s_boot_state != FG_BOOT_ROLLED_BACK) {
    return;
  }
  fg_ota_gateway_t gw;
  fg_ota_source_t src;
  fg_ota_gateway_init(&src, &gw, &s_client);
  if (fg_ota_report_outcome(&s_plat, &src, prv_version(), s_boot_state, &s_pending) == 0) {
    ESP_LOGI(TAG, "update %s reported: %s", s_pending.version,
             s_boot_state == FG_BOOT_CONFIRMED ? "success" : "rolled back");
    s_boot_state = FG_BOOT_NORMAL;
  }
}

/* ---- actions ------------------------------------------------------------------------------ */
static void prv_sample(void) {
  int64_t now = 0;
  if (s_clock.unix_time(s_clock.ctx, &now) != 0) {
    return; /* no wall clock yet: timestamps would be wrong */
  }
  if (s_count >= MAX_SAMPLES) {
    /* buffer full (gateway unreachable): drop the oldest sample */
    memmove(s_ts, s_ts + 1, (MAX_SAMPLES - 1) * sizeof(s_ts[0]));
    memmove(s_values, s_values + s_cfg.n_registers,
            (size_t)(MAX_SAMPLES - 1) * s_cfg.n_registers * sizeof(double));
    s_count = MAX_SAMPLES - 1;
  }
  s_ts[s_count] = (uint32_t)now;
  for (uint32_t f = 0; f < s_cfg.n_registers; f++) {
    double v = 0;
    (void)app_sensor_read(s_cfg.registers[f], &v);
    s_values[s_count * s_cfg.n_registers + f] = v;
  }
  s_count++;
}

static int prv_build_payload(size_t *len) {
  const uint32_t n = s_cfg.n_registers;
  if (!s_cfg.compression_enabled) {
    fg_jsonw_t w;
    fg_jsonw_init(&w, s_payload, s_payload_cap);
    fg_jsonw_obj_begin(&w);
    fg_jsonw_key(&w, "aggregated_data");
    fg_jsonw_arr_begin(&w);
    for (uint32_t i = 0; i < s_count; i++) {
      fg_jsonw_obj_begin(&w);
      for (uint32_t f = 0; f < n; f++) {
        fg_jsonw_key(&w, s_cfg.registers[f]);
        fg_jsonw_double(&w, s_values[i * n + f]);
      }
      fg_jsonw_key(&w, "timestamp");
      fg_jsonw_u64(&w, s_ts[i]);
      fg_jsonw_obj_end(&w);
    }
    fg_jsonw_arr_end(&w);
    fg_jsonw_obj_end(&w);
    const int rc = fg_jsonw_finish(&w);
    *len = rc > 0 ? (size_t)rc : 0;
    return rc < 0 ? rc : 0;
  }
  fg_frame_layout_t l;
  memset(&l, 0, sizeof(l));
  l.field_count = (uint8_t)n;
  l.sample_count = (uint16_t)s_count;
  for (uint32_t f = 0; f < n; f++) {
    /* register names are frame names as they are (fg_config_register_valid refused the rest) */
    memcpy(l.fields[f].name, s_cfg.registers[f], sizeof(l.fields[f].name));
    int dec = 0;
    for (uint32_t i = 0; i < s_count; i++) {
      const int d = fg_frame_decimals(s_values[i * n + f]);
      dec = d > dec ? d : dec;
    }
    l.fields[f].scale_exp = (int8_t)-dec;
  }
  int rc = fg_frame_init(s_frame, s_frame_cap, &l);
  if (rc < 0) {
    return rc;
  }
  const size_t flen = (size_t)rc;
  for (uint32_t i = 0; i < s_count; i++) {
    fg_frame_put_ts(s_frame, &l, i, s_ts[i]);
    for (uint32_t f = 0; f < n; f++) {
      rc = fg_frame_put_value(s_frame, &l, f, i, s_values[i * n + f]);
      if (rc < 0) {
        return rc;
      }
    }
  }
  const int method = fg_codec_method_parse(s_cfg.compression_method);
  const int plen = fg_codec_pack(method, s_frame, flen, s_packed, s_packed_cap, s_scratch, s_scratch_words);
  if (plen < 0) {
    return plen; /* FG_ERR_TOO_LARGE cannot happen below 1024:1 for real readings */
  }
  rc = fg_codec_batch_json(method, s_frame, flen, s_packed, (size_t)plen, s_ts[s_count - 1],
                           s_payload, s_payload_cap);
  *len = rc > 0 ? (size_t)rc : 0;
  return rc < 0 ? rc : 0;
}

static void prv_upload(void) {
  if (s_count == 0) {
    return;
  }
  size_t len = 0;
  int rc = prv_build_payload(&len);
  fg_client_result_t res;
  memset(&res, 0, sizeof(res));
  if (rc == 0) {
    rc = fg_client_upload(&s_client, (const uint8_t *)s_payload, len, s_envelope, s_envelope_cap, &res);
  }
  snprintf(s_last_upload, sizeof(s_last_upload), "%s", rc == 0 ? "ok" : fg_err_name(rc));
  if (rc == 0) {
    ESP_LOGI(TAG, "uploaded %lu samples (%u bytes, %s)%s", (unsigned long)s_count, (unsigned)len,
             s_cfg.compression_enabled ? s_cfg.compression_method : "plain",
             res.duplicate ? " [duplicate]" : "");
    s_count = 0;
  } else {
    ESP_LOGW(TAG, "upload failed: %s (status %d %s)", fg_err_name(rc), res.status, res.error_code);
  }
}

static void prv_get_config(void) {
  fg_client_result_t res;
  int rc = fg_client_request(&s_client, "GET", FG_ROUTE_CONFIG, NULL, 0, &res);
  if (rc == 0) {
    uint32_t changed = 0;
    rc = fg_config_parse_answer(&s_cfg, (const char *)s_rx, res.body_len, &changed);
    if (rc == 0) {
      prv_apply_config_change(changed);
    } else {
      /* refused as a whole (e.g. a register name the frame cannot carry): NVS untouched */
      ESP_LOGW(TAG, "config rejected: %s", fg_err_name(rc));
    }
  }
}

/* diagnostics' extra: the nonce space left and, when the gateway withdrew the last download
 * (yanked / not_assigned), which version and why: the device's own account of it */
static void prv_diagnostics_extra(char *extra, size_t cap) {
  fg_jsonw_t w;
  fg_jsonw_init(&w, extra, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "nonce_epochs_left");
  fg_jsonw_u64(&w, fg_nonce_epochs_left(&s_nonce));
  fg_ota_withdrawn_t gone;
  if (fg_ota_withdrawn(s_plat.kv, &gone) == 0) {
    fg_jsonw_key(&w, "ota_withdrawn");
    fg_ota_withdrawn_json(&w, &gone);
  }
  fg_jsonw_obj_end(&w);
  if (fg_jsonw_finish(&w) < 0) {
    snprintf(extra, cap, "{}");
  }
}

static void prv_diagnostics(void) {
  char extra[160];
  prv_diagnostics_extra(extra, sizeof(extra));
  uint32_t dummy;
  if (fg_nonce_boot_id(&s_nonce) == 0 && fg_nonce_next(&s_nonce, &dummy) != 0) {
    return; /* nonce space exhausted: nothing can be signed any more */
  }
  const fg_diag_t d = {
      .firmware_version = prv_version(),
      .uptime_s = (uint32_t)(s_clock.uptime_ms(s_clock.ctx) / 1000u),
      .boot_id = fg_nonce_boot_id(&s_nonce),
      .reset_reason = prv_reset_reason(),
      .free_heap = (int64_t)esp_get_free_heap_size(),
      .wifi_rssi = app_wifi_rssi(),
      .buffer_usage_pct = (int32_t)(s_count * 100u / MAX_SAMPLES),
      .last_upload_status = s_last_upload,
      .config_version = s_cfg.config_version,
      .extra_json = extra,
  };
  char body[640];
  const int blen = fg_diag_json(&d, body, sizeof(body));
  char path[96];
  snprintf(path, sizeof(path), FG_ROUTE_DIAGNOSTICS_FMT, s_device_id);
  fg_client_result_t res;
  memset(&res, 0, sizeof(res));
  const int rc = blen < 0 ? blen : fg_client_request(&s_client, "POST", path, (const uint8_t *)body, (size_t)blen, &res);
  if (rc == 0) {
    fg_json_tok_t toks[8];
    fg_json_doc_t doc;
    uint32_t gw_version = 0;
    if (fg_json_parse(&doc, (const char *)s_rx, res.body_len, toks, 8) > 0 &&
        fg_json_obj_u32(&doc, 0, "config_version", &gw_version) == 0 &&
        gw_version != s_cfg.config_version) {
      prv_get_config();
    }
  }
}

static void prv_poll_command(void) {
  char path[96];
  snprintf(path, sizeof(path), FG_ROUTE_POLL_FMT, s_device_id);
  fg_client_result_t res;
  int rc = fg_client_request(&s_client, "GET", path, NULL, 0, &res);
  if (rc != 0) {
    return;
  }
  fg_command_t cmd;
  bool has = false;
  if (fg_command_parse_poll((const char *)s_rx, res.body_len, &cmd, &has) != 0 || !has) {
    return;
  }
  /* copy the parameters out of the rx buffer: the result request reuses it */
  char params[512];
  const size_t plen = cmd.params_len < sizeof(params) - 1 ? cmd.params_len : sizeof(params) - 1;
  memcpy(params, cmd.params, plen);
  params[plen] = '\0';
  bool ok = false;
  bool reboot = false;
  char result[96];
  fg_json_tok_t toks[64];
  fg_json_doc_t doc;
  const bool parsed = fg_json_parse(&doc, params, plen, toks, 64) > 0;
  if (strcmp(cmd.command_type, "set_config") == 0 && parsed) {
    uint32_t changed = 0;
    const int mrc = fg_config_merge(&s_cfg, &doc, 0, &changed);
    ok = mrc == 0;
    if (ok) {
      (void)fg_json_obj_u32(&doc, 0, "config_version", &s_cfg.config_version);
      prv_apply_config_change(changed);
    }
    snprintf(result, sizeof(result), ok ? "Config applied" : "Config rejected: %s", fg_err_name(mrc));
  } else if (strcmp(cmd.command_type, "reboot") == 0) {
    ok = true;
    reboot = true;
    snprintf(result, sizeof(result), "Rebooting");
  } else if (strcmp(cmd.command_type, "set_power") == 0 ||
             strcmp(cmd.command_type, "write_register") == 0 ||
             strcmp(cmd.command_type, "set_relay") == 0) {
    /* a product forwards these to the inverter over Modbus here */
    ok = true;
    snprintf(result, sizeof(result), "%s accepted", cmd.command_type);
  } else {
    snprintf(result, sizeof(result), "Unsupported command %s", cmd.command_type);
  }
  char body[256];
  const int blen = fg_command_result_json(cmd.command_id, ok, result, body, sizeof(body));
  snprintf(path, sizeof(path), FG_ROUTE_RESULT_FMT, s_device_id);
  if (blen > 0) {
    rc = fg_client_request(&s_client, "POST", path, (const uint8_t *)body, (size_t)blen, &res);
    if (reboot && rc == 0) {
      ESP_LOGI(TAG, "reboot command");
      vTaskDelay(pdMS_TO_TICKS(500));
      esp_restart();
    }
  }
}

static void prv_ota_event(void *user, const fg_ota_event_t *ev) {
  (void)user;
  if (ev->type == FG_OTA_EV_CHUNK_REJECTED) {
    ESP_LOGW(TAG, "OTA %s chunk %lu rejected (%s), refetching", ev->version,
             (unsigned long)ev->chunk, ev->check);
  } else if (ev->type == FG_OTA_EV_RESUME) {
    ESP_LOGI(TAG, "OTA %s resuming at chunk %lu/%lu", ev->version, (unsigned long)ev->chunk,
             (unsigned long)ev->total_chunks);
  }
}

static void prv_ota(void) {
  if (!s_ota_keys_ok || s_boot_state == FG_BOOT_TRIAL) {
    return; /* a new image must confirm itself before it may be replaced */
  }
  /* Fixed sizes, whatever the image: one chunk, one hash page, the manifest (<= 4 KiB) and its
   * tokens. Answers land directly in these buffers (fg_ota_gateway.h). */
  const size_t page_cap = FG_HASH_PAGE_BYTES(FG_LIMIT_OTA_PAGE_ENTRIES_MAX);
  uint8_t *chunk = malloc(OTA_MAX_CHUNK);
  uint8_t *page = malloc(page_cap);
  char *manifest = malloc(FG_LIMIT_OTA_MANIFEST_MAX_BYTES);
  fg_json_tok_t *toks = malloc(FG_OTA_MANIFEST_TOKENS * sizeof(fg_json_tok_t));
  if (!chunk || !page || !manifest || !toks) {
    ESP_LOGW(TAG, "OTA: not enough memory (%u bytes)",
             (unsigned)(OTA_MAX_CHUNK + page_cap + FG_LIMIT_OTA_MANIFEST_MAX_BYTES));
  } else {
    fg_ota_gateway_t gw;
    fg_ota_source_t src;
    fg_ota_gateway_init(&src, &gw, &s_client);
    (void)fg_rollback_min(s_plat.kv, &gw.security_counter); /* never offered below it */
    const fg_ota_config_t cfg = {
        .chunk_buf = chunk, .chunk_cap = OTA_MAX_CHUNK, .page_buf = page, .page_cap = page_cap,
        .manifest_buf = manifest, .manifest_cap = FG_LIMIT_OTA_MANIFEST_MAX_BYTES, .toks = toks,
        .toks_cap = FG_OTA_MANIFEST_TOKENS, .max_chunk_attempts = 3, .persist_every = 4,
        .on_event = prv_ota_event};
    fg_ota_result_t r;
    const int rc = fg_ota_run(&s_plat, &s_ota_keys, &src, &cfg, prv_version(), NULL, &r);
    if (rc == 0) {
      ESP_LOGI(TAG, "OTA %s installed (security counter %lu): restarting", r.version,
               (unsigned long)r.security_counter);
      free(chunk);
      free(page);
      free(manifest);
      free(toks);
      vTaskDelay(pdMS_TO_TICKS(500));
      esp_restart(); /* the new image reports success itself once it has confirmed itself */
    } else if (r.withdrawn) {
      /* a signed 410/409: dropped for good, not reported; the next check decides afresh */
      ESP_LOGW(TAG, "OTA %s withdrawn by the gateway (%s): download dropped", r.version,
               fg_err_name(rc));
    } else if (rc != FG_ERR_NOTHING) {
      ESP_LOGW(TAG, "OTA %s: %s%s%s", r.version, fg_err_name(rc), r.failed_check ? " check " : "",
               fg_ota_check_name((fg_ota_check_t)r.failed_check));
    }
  }
  free(chunk);
  free(page);
  free(manifest);
  free(toks);
}

void app_main(void) {
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    /* never silently erase: the nonce epoch lives here; a wiped NVS needs re-provisioning */
    ESP_LOGE(TAG, "NVS unusable (%s): erase and re-provision this device", esp_err_to_name(err));
  }
  ESP_ERROR_CHECK(err);
  ESP_ERROR_CHECK(fg_esp_kv_init(&s_kv, &s_kv_ctx) == 0 ? ESP_OK : ESP_FAIL);
  fg_esp_clock_init(&s_clock);
  fg_esp_random_init(&s_rnd);
  fg_esp_flash_init(&s_flash, &s_flash_ctx);
  s_plat = (fg_platform_t){.kv = &s_kv, .clock = &s_clock, .http = &s_http, .flash = &s_flash, .random = &s_rnd};

  /* after an update: is the installed image what runs (trial), or did it not stay? (s_rx is
   * free scratch this early) */
  if (fg_ota_boot(&s_plat, s_rx, sizeof(s_rx), &s_pending, &s_boot_state) != 0) {
    s_boot_state = FG_BOOT_NORMAL;
  }
  ESP_LOGI(TAG, "fleetgate %s, reset %s%s", prv_version(), prv_reset_reason(),
           s_boot_state == FG_BOOT_TRIAL ? ", new image on trial" :
           s_boot_state == FG_BOOT_ROLLED_BACK ? ", the last update was rolled back" : "");

  /* OTA keys from keys.h; the ids must match what keys.h says */
  s_ota_keys_ok = fg_ota_keys_init(&s_ota_keys, fleetgate_ota_public_key_der,
                                   fleetgate_ota_public_key_der_len, fleetgate_ota_aes_key) == 0 &&
                  memcmp(s_ota_keys.rsa_key_id, fleetgate_ota_key_id, 8) == 0 &&
                  memcmp(s_ota_keys.aes_key_id, fleetgate_ota_aes_key_id, 8) == 0;
  if (!s_ota_keys_ok) {
    ESP_LOGE(TAG, "keys.h is inconsistent: OTA disabled");
  }
  s_identity_ok = prv_load_identity();
  if (!s_identity_ok) {
    ESP_LOGE(TAG, "no device identity: provision NVS namespace fg_prov (see README)");
    for (;;) {
      vTaskDelay(pdMS_TO_TICKS(60000));
    }
  }
  ESP_ERROR_CHECK(fg_nonce_init(&s_nonce, &s_kv) == 0 ? ESP_OK : ESP_FAIL);
  prv_load_config();
  prv_alloc_buffers();

  while (!app_wifi_connect(30000)) {
  }
  (void)app_time_sync(20000);
  fg_esp_http_init(&s_http, &s_http_ctx, CONFIG_FLEETGATE_GATEWAY_URL, CONFIG_FLEETGATE_HTTP_TIMEOUT_MS);
  fg_client_init(&s_client, &s_plat, s_device_id, s_key, &s_nonce, s_rx, sizeof(s_rx));

  prv_diagnostics(); /* boot report: boot_id + reset_reason */

  uint64_t last_sample = 0, last_upload = 0, last_diag = 0;
  uint64_t last_ota = 0;
  for (;;) {
    const uint64_t now = s_clock.uptime_ms(s_clock.ctx);
    prv_selftest();
    if (now - last_sample >= (uint64_t)s_cfg.poll_frequency_s * 1000u) {
      last_sample = now;
      prv_sample();
    }
    if (now - last_upload >= (uint64_t)s_cfg.upload_frequency_s * 1000u) {
      last_upload = now;
      if (!app_wifi_connect(10000)) {
        continue;
      }
      prv_report_update();
      prv_upload();
      prv_poll_command();
    }
    if (now - last_diag >= (uint64_t)s_cfg.heartbeat_interval_s * 1000u) {
      last_diag = now;
      prv_diagnostics();
    }
    if (now - last_ota >= (uint64_t)CONFIG_FLEETGATE_OTA_CHECK_INTERVAL_S * 1000u || last_ota == 0) {
      last_ota = now == 0 ? 1 : now;
      prv_ota();
    }
    vTaskDelay(pdMS_TO_TICKS(250));
  }
}
