#include "fleetgate/fg_control.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_frame.h"

#define PRV_TOKS 96

int fg_command_parse_poll(const char *json, size_t len, fg_command_t *cmd, bool *has) {
  if (json == NULL || cmd == NULL || has == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(cmd, 0, sizeof(*cmd));
  *has = false;
  fg_json_tok_t toks[PRV_TOKS];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, json, len, toks, PRV_TOKS) <= 0 || toks[0].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  const int c = fg_json_obj_get(&doc, 0, "command");
  if (c < 0) {
    return FG_ERR_FORMAT;
  }
  if (toks[c].type == FG_JSON_NULL) {
    return FG_OK;
  }
  if (toks[c].type != FG_JSON_OBJECT ||
      fg_json_obj_str(&doc, c, "command_id", cmd->command_id, sizeof(cmd->command_id)) < 1 ||
      fg_json_obj_str(&doc, c, "command_type", cmd->command_type, sizeof(cmd->command_type)) < 1) {
    return FG_ERR_FORMAT;
  }
  (void)fg_json_obj_u32(&doc, c, "attempt", &cmd->attempt);
  const int p = fg_json_obj_get(&doc, c, "parameters");
  if (p >= 0) {
    cmd->params = json + toks[p].start;
    cmd->params_len = toks[p].end - toks[p].start;
  } else {
    cmd->params = "{}";
    cmd->params_len = 2;
  }
  *has = true;
  return FG_OK;
}

int fg_command_result_json(const char *command_id, bool ok, const char *result_text, char *out,
                           size_t cap) {
  if (command_id == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  fg_jsonw_t w;
  fg_jsonw_init(&w, out, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "command_id");
  fg_jsonw_str(&w, command_id);
  fg_jsonw_key(&w, "status");
  fg_jsonw_str(&w, ok ? "completed" : "failed");
  if (result_text != NULL) {
    fg_jsonw_key(&w, "result");
    fg_jsonw_str(&w, result_text);
  }
  fg_jsonw_obj_end(&w);
  return fg_jsonw_finish(&w);
}

void fg_config_defaults(fg_device_config_t *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->poll_frequency_s = 5;
  cfg->upload_frequency_s = 60;
  cfg->heartbeat_interval_s = 60;
  cfg->compression_enabled = true;
  strcpy(cfg->compression_method, "smart");
  cfg->n_registers = 3;
  strcpy(cfg->registers[0], "voltage");
  strcpy(cfg->registers[1], "current");
  strcpy(cfg->registers[2], "power");
}

static int prv_seconds(const fg_json_doc_t *doc, int obj, const char *key, uint32_t lo, uint32_t hi,
                       uint32_t *out, uint32_t bit, uint32_t *changed) {
  const int t = fg_json_obj_get(doc, obj, key);
  if (t == FG_ERR_NOT_FOUND) {
    return FG_OK;
  }
  uint32_t v = 0;
  if (t < 0 || fg_json_get_u32(doc, t, &v) != 0) {
    return FG_ERR_FORMAT;
  }
  if (v < lo || v > hi) {
    return FG_ERR_RANGE;
  }
  if (*out != v) {
    *changed |= bit;
  }
  *out = v;
  return FG_OK;
}

bool fg_config_register_valid(const char *s) {
  if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z')) {
    return false;
  }
  return fg_frame_name_valid(s); /* [a-z0-9_], 1..31, not reserved: what the frame carries */
}

int fg_config_merge(fg_device_config_t *cfg, const fg_json_doc_t *doc, int obj, uint32_t *changed) {
  if (cfg == NULL || doc == NULL || obj < 0 || (size_t)obj >= doc->count ||
      doc->toks[obj].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  static fg_device_config_t s_next; /* ~1 KiB, off the stack */
  s_next = *cfg;
  uint32_t ch = 0;
  int rc = prv_seconds(doc, obj, "poll_frequency", FG_LIMIT_POLL_FREQUENCY_MIN_S, FG_LIMIT_POLL_FREQUENCY_MAX_S, &s_next.poll_frequency_s,
                       FG_CFG_POLL_FREQUENCY, &ch);
  if (rc == 0) {
    rc = prv_seconds(doc, obj, "upload_frequency", FG_LIMIT_UPLOAD_FREQUENCY_MIN_S,
                     FG_LIMIT_UPLOAD_FREQUENCY_MAX_S, &s_next.upload_frequency_s,
                     FG_CFG_UPLOAD_FREQUENCY, &ch);
  }
  if (rc == 0) {
    rc = prv_seconds(doc, obj, "heartbeat_interval", FG_LIMIT_HEARTBEAT_INTERVAL_MIN_S,
                     FG_LIMIT_HEARTBEAT_INTERVAL_MAX_S, &s_next.heartbeat_interval_s,
                     FG_CFG_HEARTBEAT_INTERVAL, &ch);
  }
  if (rc != 0) {
    return rc;
  }
  int t = fg_json_obj_get(doc, obj, "compression_enabled");
  if (t >= 0) {
    bool b = false;
    if (fg_json_get_bool(doc, t, &b) != 0) {
      return FG_ERR_FORMAT;
    }
    if (b != s_next.compression_enabled) {
      ch |= FG_CFG_COMPRESSION_ENABLED;
    }
    s_next.compression_enabled = b;
  }
  t = fg_json_obj_get(doc, obj, "compression_method");
  if (t >= 0) {
    char m[16];
    if (fg_json_get_str(doc, t, m, sizeof(m)) < 0) {
      return FG_ERR_RANGE;
    }
    if (strcmp(m, "dictionary") != 0 && strcmp(m, "delta") != 0 && strcmp(m, "rle") != 0 &&
        strcmp(m, "adaptive") != 0 && strcmp(m, "smart") != 0) {
      return FG_ERR_RANGE;
    }
    if (strcmp(m, s_next.compression_method) != 0) {
      ch |= FG_CFG_COMPRESSION_METHOD;
    }
    strcpy(s_next.compression_method, m);
  }
  t = fg_json_obj_get(doc, obj, "registers");
  if (t >= 0) {
    if (doc->toks[t].type != FG_JSON_ARRAY || doc->toks[t].size < 1 ||
        doc->toks[t].size > FG_CONFIG_MAX_REGISTERS) {
      return FG_ERR_RANGE;
    }
    char regs[FG_CONFIG_MAX_REGISTERS][FG_CONFIG_REGISTER_MAX + 1];
    memset(regs, 0, sizeof(regs));
    const uint8_t n = (uint8_t)doc->toks[t].size;
    for (uint8_t i = 0; i < n; i++) {
      const int e = fg_json_arr_get(doc, t, i);
      if (e < 0 || fg_json_get_str(doc, e, regs[i], sizeof(regs[i])) < 0 ||
          !fg_config_register_valid(regs[i])) {
        return FG_ERR_RANGE;
      }
      for (uint8_t j = 0; j < i; j++) {
        if (strcmp(regs[i], regs[j]) == 0) {
          return FG_ERR_RANGE;
        }
      }
    }
    if (n != s_next.n_registers || memcmp(regs, s_next.registers, sizeof(regs[0]) * n) != 0) {
      ch |= FG_CFG_REGISTERS;
    }
    memset(s_next.registers, 0, sizeof(s_next.registers));
    memcpy(s_next.registers, regs, sizeof(regs[0]) * n);
    s_next.n_registers = n;
  }
  if (s_next.upload_frequency_s < s_next.poll_frequency_s) {
    return FG_ERR_RANGE; /* the gateway's cross-field rule */
  }
  *cfg = s_next;
  if (changed != NULL) {
    *changed = ch;
  }
  return FG_OK;
}

int fg_config_parse_answer(fg_device_config_t *cfg, const char *json, size_t len, uint32_t *changed) {
  if (cfg == NULL || json == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  fg_json_tok_t toks[PRV_TOKS];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, json, len, toks, PRV_TOKS) <= 0 || toks[0].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  uint32_t version = 0;
  if (fg_json_obj_u32(&doc, 0, "config_version", &version) != 0) {
    return FG_ERR_FORMAT;
  }
  const int c = fg_json_obj_get(&doc, 0, "config");
  if (c < 0) {
    return FG_ERR_FORMAT;
  }
  const int rc = fg_config_merge(cfg, &doc, c, changed);
  if (rc == 0) {
    cfg->config_version = version;
  }
  return rc;
}

int fg_config_to_json(const fg_device_config_t *cfg, char *out, size_t cap) {
  fg_jsonw_t w;
  fg_jsonw_init(&w, out, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "poll_frequency");
  fg_jsonw_u64(&w, cfg->poll_frequency_s);
  fg_jsonw_key(&w, "upload_frequency");
  fg_jsonw_u64(&w, cfg->upload_frequency_s);
  fg_jsonw_key(&w, "registers");
  fg_jsonw_arr_begin(&w);
  for (uint8_t i = 0; i < cfg->n_registers; i++) {
    fg_jsonw_str(&w, cfg->registers[i]);
  }
  fg_jsonw_arr_end(&w);
  fg_jsonw_key(&w, "compression_enabled");
  fg_jsonw_bool(&w, cfg->compression_enabled);
  fg_jsonw_key(&w, "compression_method");
  fg_jsonw_str(&w, cfg->compression_method);
  fg_jsonw_key(&w, "heartbeat_interval");
  fg_jsonw_u64(&w, cfg->heartbeat_interval_s);
  fg_jsonw_obj_end(&w);
  return fg_jsonw_finish(&w);
}

bool fg_diag_reset_reason_valid(const char *reason) {
  static const char *const reasons[] = {"poweron", "brownout", "watchdog", "panic",
                                        "software", "deepsleep", "external", "unknown"};
  if (reason == NULL) {
    return false;
  }
  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
    if (strcmp(reason, reasons[i]) == 0) {
      return true;
    }
  }
  return false;
}

int fg_diag_json(const fg_diag_t *d, char *out, size_t cap) {
  if (d == NULL || d->firmware_version == NULL || !fg_diag_reset_reason_valid(d->reset_reason)) {
    return FG_ERR_INVALID_ARG;
  }
  fg_jsonw_t w;
  fg_jsonw_init(&w, out, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "firmware_version");
  fg_jsonw_str(&w, d->firmware_version);
  fg_jsonw_key(&w, "uptime_seconds");
  fg_jsonw_u64(&w, d->uptime_s);
  fg_jsonw_key(&w, "boot_id");
  fg_jsonw_u64(&w, d->boot_id);
  fg_jsonw_key(&w, "reset_reason");
  fg_jsonw_str(&w, d->reset_reason);
  if (d->free_heap >= 0) {
    fg_jsonw_key(&w, "free_heap");
    fg_jsonw_i64(&w, d->free_heap);
  }
  if (d->wifi_rssi <= 0 && d->wifi_rssi >= -127) {
    fg_jsonw_key(&w, "wifi_rssi");
    fg_jsonw_i64(&w, d->wifi_rssi);
  }
  if (d->buffer_usage_pct >= 0) {
    fg_jsonw_key(&w, "buffer_usage");
    fg_jsonw_i64(&w, d->buffer_usage_pct > 100 ? 100 : d->buffer_usage_pct);
  }
  if (d->last_upload_status != NULL) {
    fg_jsonw_key(&w, "last_upload_status");
    fg_jsonw_str(&w, d->last_upload_status);
  }
  if (d->config_version >= 0) {
    fg_jsonw_key(&w, "config_version");
    fg_jsonw_i64(&w, d->config_version);
  }
  if (d->extra_json != NULL) {
    fg_jsonw_key(&w, "extra");
    fg_jsonw_raw(&w, d->extra_json, strlen(d->extra_json));
  }
  fg_jsonw_obj_end(&w);
  return fg_jsonw_finish(&w);
}
