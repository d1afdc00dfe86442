/**
 * @file fg_control.h
 * @brief The control-plane messages a device reads and writes (gateway routes in
 *        server/commands/routes.ts and server/remote-config/routes.ts), and the route paths.
 *
 *   GET  /commands/<id>/poll    -> {"command": null | {"command_id","command_type","parameters",
 *                                   "attempt","expires_at"}}
 *   POST /commands/<id>/result  <- {"command_id","status":"completed"|"failed","result":...}
 *   GET  /config                -> {"success":true,"config_version":n,"config":{...}}
 *   POST /diagnostics/<id>      <- {"firmware_version","uptime_seconds","boot_id","reset_reason",
 *                                   "free_heap"?,"wifi_rssi"?,"buffer_usage"?,
 *                                   "last_upload_status"?,"config_version"?,"extra"?}
 *                               -> {"success":true,"config_version":n}
 * All of them are signed device requests (fg_client_request()).
 */
#ifndef FLEETGATE_FG_CONTROL_H
#define FLEETGATE_FG_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_json.h"
#include "fleetgate/fg_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- routes (path with query; the device id is URL-safe by its rules) --------------------- */
#define FG_ROUTE_UPLOAD_FMT "/aggregated/%s"
#define FG_ROUTE_POLL_FMT "/commands/%s/poll"
#define FG_ROUTE_RESULT_FMT "/commands/%s/result"
#define FG_ROUTE_CONFIG "/config"
#define FG_ROUTE_DIAGNOSTICS_FMT "/diagnostics/%s"

/* ---- commands ----------------------------------------------------------------------------- */
typedef struct {
  char command_id[65];
  char command_type[32];
  uint32_t attempt;
  /** The "parameters" object as raw JSON text (points into the response buffer). */
  const char *params;
  size_t params_len;
} fg_command_t;

/**
 * Parses a poll answer. *has is false for {"command":null}.
 * @return 0 or FG_ERR_FORMAT.
 */
int fg_command_parse_poll(const char *json, size_t len, fg_command_t *cmd, bool *has);

/**
 * Builds {"command_id":...,"status":"completed"|"failed","result":"<text>"} into out.
 * @return the length or a negative FG_ERR_*.
 */
int fg_command_result_json(const char *command_id, bool ok, const char *result_text, char *out,
                           size_t cap);

/* ---- remote configuration ----------------------------------------------------------------- */
#define FG_CONFIG_MAX_REGISTERS FG_LIMIT_CONFIG_MAX_REGISTERS
/** Register names are frame field names (fg_limits.h): a letter, then [a-z0-9_], at most 31. */
#define FG_CONFIG_REGISTER_MAX FG_LIMIT_FIELD_NAME_MAX

typedef enum {
  FG_CFG_POLL_FREQUENCY = 1u << 0,
  FG_CFG_UPLOAD_FREQUENCY = 1u << 1,
  FG_CFG_REGISTERS = 1u << 2,
  FG_CFG_COMPRESSION_ENABLED = 1u << 3,
  FG_CFG_COMPRESSION_METHOD = 1u << 4,
  FG_CFG_HEARTBEAT_INTERVAL = 1u << 5,
} fg_config_field_t;

typedef struct {
  uint32_t config_version;
  uint32_t poll_frequency_s;
  uint32_t upload_frequency_s;
  uint32_t heartbeat_interval_s;
  bool compression_enabled;
  char compression_method[16]; /**< "dictionary" | "delta" | "rle" | "adaptive" | "smart" */
  uint8_t n_registers;
  char registers[FG_CONFIG_MAX_REGISTERS][FG_CONFIG_REGISTER_MAX + 1];
} fg_device_config_t;

/** The built-in defaults (server/remote-config/fields.ts BUILTIN_DEFAULTS). */
void fg_config_defaults(fg_device_config_t *cfg);

/**
 * Merges the fields present in the JSON object `obj` of doc into cfg (a GET /config "config"
 * object, or set_config parameters). Values out of the gateway's ranges are rejected as a whole
 * (cfg unchanged), and so is a register name the frame cannot carry (fg_config_register_valid):
 * the caller persists nothing then. *changed (optional) receives the fg_config_field_t bits that
 * changed.
 * @return 0, FG_ERR_FORMAT or FG_ERR_RANGE.
 */
int fg_config_merge(fg_device_config_t *cfg, const fg_json_doc_t *doc, int obj, uint32_t *changed);

/** A register name the gateway accepts and the frame can carry (same rule as the gateway's). */
bool fg_config_register_valid(const char *name);

/** Parses a whole GET /config answer (config_version + config). */
int fg_config_parse_answer(fg_device_config_t *cfg, const char *json, size_t len, uint32_t *changed);

/** Serialises cfg as the "config" JSON object (for persisting and for diagnostics). */
int fg_config_to_json(const fg_device_config_t *cfg, char *out, size_t cap);

/* ---- diagnostics / heartbeat -------------------------------------------------------------- */
/** The gateway's reset reasons (server/diagnostics/schema.ts). */
#define FG_RESET_REASONS "poweron|brownout|watchdog|panic|software|deepsleep|external|unknown"

typedef struct {
  const char *firmware_version;
  uint32_t uptime_s;
  uint32_t boot_id;           /**< fg_nonce_boot_id() */
  const char *reset_reason;   /**< one of FG_RESET_REASONS */
  int64_t free_heap;          /**< < 0: omitted */
  int32_t wifi_rssi;          /**< > 0: omitted */
  int32_t buffer_usage_pct;   /**< < 0: omitted */
  const char *last_upload_status; /**< NULL: omitted */
  int64_t config_version;     /**< < 0: omitted */
  /** "extra": nonce epochs left, OTA state, ... (pre-serialised JSON object or NULL). */
  const char *extra_json;
} fg_diag_t;

/** Builds the diagnostics body. @return the length or a negative FG_ERR_*. */
int fg_diag_json(const fg_diag_t *d, char *out, size_t cap);

/** True if reason is one of FG_RESET_REASONS. */
bool fg_diag_reset_reason_valid(const char *reason);

#ifdef __cplusplus
}
#endif
#endif
