/**
 * @file fg_ota.h
 * @brief The OTA state machine:
 *
 *   CHECK -> INITIATE (manifest) -> verify header/copies/rollback/version policy/chunk table
 *         -> DOWNLOAD chunks in order (per-chunk hash check; a bad chunk is discarded and
 *            refetched; plaintext written to the inactive slot; resume record saved)
 *         -> FINISH (re-hash the written image from flash, check firmware hash + RSA-PSS,
 *            mark the slot bootable, record the pending security counter)
 *         -> REPORT complete (or failed, with the SPEC check name)
 *
 * Interruption (power cut, lost network, or cfg.stop_after_chunks for the simulator) leaves a
 * resume record in the kv store ("fg_ota_res": SHA-256 of the manifest header, next chunk,
 * IV of the next chunk). The next run for the same image (same header hash) continues at that
 * chunk: flash bytes before it are kept, IV(n) comes from the record, and the plaintext hash is
 * recomputed from flash at the end. A different image discards the record.
 *
 * The gateway is reached through fg_ota_source_t (fg_ota_gateway.h implements it over the signed
 * device API), so the machine is tested offline against in-memory sources.
 * No heap: every buffer comes from fg_ota_config_t.
 */
#ifndef FLEETGATE_FG_OTA_H
#define FLEETGATE_FG_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_json.h"
#include "fleetgate/fg_manifest.h"
#include "fleetgate/fg_ota_verify.h"
#include "fleetgate/platform/fg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_OTA_KV_RESUME "fg_ota_res"

typedef struct fg_ota_source {
  /** Is an update available for a device running current_version? Writes the offered version
   *  to version ("" when none). */
  int (*check)(void *ctx, const char *current_version, char *version, size_t cap);
  /** Starts (or re-joins) a download session for version; writes the manifest JSON text. */
  int (*initiate)(void *ctx, const char *version, char *buf, size_t cap, size_t *len);
  /** Fetches encrypted chunk n (raw bytes). */
  int (*chunk)(void *ctx, const char *version, uint32_t n, uint8_t *buf, size_t cap, size_t *len);
  /** Reports the outcome: ok, or the failed SPEC check name and a detail text. */
  int (*report)(void *ctx, const char *version, bool ok, const char *check, const char *detail);
  void *ctx;
} fg_ota_source_t;

typedef enum {
  FG_OTA_EV_AVAILABLE = 1,  /**< check found version */
  FG_OTA_EV_MANIFEST,       /**< manifest authenticated (header, copies, rollback, table) */
  FG_OTA_EV_RESUME,         /**< continuing an interrupted download at chunk */
  FG_OTA_EV_CHUNK,          /**< chunk verified and written */
  FG_OTA_EV_CHUNK_REJECTED, /**< chunk failed check (chunk_hash/chunk_length): refetching */
  FG_OTA_EV_INTERRUPTED,    /**< stopped after cfg.stop_after_chunks (resume record kept) */
  FG_OTA_EV_VERIFIED,       /**< firmware hash + signature verified, slot marked bootable */
  FG_OTA_EV_REPORTED,       /**< outcome reported to the gateway */
} fg_ota_event_type_t;

typedef struct {
  fg_ota_event_type_t type;
  const char *version;
  uint32_t chunk;
  uint32_t total_chunks;
  uint32_t attempt;
  const char *check; /**< for CHUNK_REJECTED */
} fg_ota_event_t;

typedef struct {
  uint8_t *chunk_buf;       /**< >= the image's chunk_size */
  size_t chunk_cap;
  uint8_t *table;           /**< chunk hash table, 32 bytes per chunk */
  size_t table_cap;
  char *manifest_buf;       /**< manifest JSON text */
  size_t manifest_cap;
  fg_json_tok_t *toks;      /**< tokens for the manifest (~ total_chunks + 48) */
  size_t toks_cap;
  uint8_t max_chunk_attempts;  /**< fetches per chunk before giving up (default 3) */
  uint32_t stop_after_chunks;  /**< simulate an interruption after N chunks (0 = never) */
  uint32_t persist_every;      /**< save the resume record every N chunks (default 1) */
  /** Accept an authentic image whose version is older (SemVer precedence) than the running
   *  one. Default false: such an image fails with check "downgrade" (FG_ERR_ROLLBACK) before
   *  any flash write, even when its security counter is allowed. Re-installing the running
   *  version is allowed; a running version that is not SemVer disables this policy (the
   *  security counter stays the hard limit). */
  bool allow_downgrade;
  void (*on_event)(void *user, const fg_ota_event_t *ev);
  void *user;
} fg_ota_config_t;

typedef struct {
  char version[FG_MANIFEST_VERSION_MAX + 1];
  uint32_t security_counter;
  uint32_t total_chunks;
  uint32_t chunks_written;      /**< in this run */
  uint32_t next_chunk;          /**< where a resume would continue */
  uint32_t refetches;
  bool resumed;
  uint32_t resumed_at;
  bool complete;                /**< verified, activated, reported */
  uint8_t failed_check;         /**< fg_ota_check_t */
  int32_t failed_chunk;
} fg_ota_result_t;

/**
 * Runs one OTA attempt. version NULL or "" asks the source first (check) and returns
 * FG_ERR_NOTHING when no update is offered. current_version is what runs now.
 * @return 0 when the image is verified, activated (pending confirmation on next boot) and
 *         reported; FG_ERR_INTERRUPTED when stopped on purpose; otherwise the failure (see
 *         res->failed_check for a verification failure, which is also reported to the source).
 */
int fg_ota_run(const fg_platform_t *plat, const fg_ota_keys_t *keys, const fg_ota_source_t *src,
               const fg_ota_config_t *cfg, const char *current_version, const char *version,
               fg_ota_result_t *res);

/** Drops any resume record (e.g. operator cancelled the update). */
int fg_ota_forget_resume(const fg_kv_t *kv);

#ifdef __cplusplus
}
#endif
#endif
