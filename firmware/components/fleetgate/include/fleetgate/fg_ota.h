/**
 * @file fg_ota.h
 * @brief The OTA state machine, streaming in bounded memory (server/ota/SPEC.md §11):
 *
 *   CHECK -> MANIFEST (format 2, <= 4 KiB) -> verify header/copies/rollback/version policy
 *         -> per chunk n: the hash page holding its hash when not held (inclusion proof against
 *            the signed hash_root; a bad page is refetched) -> the chunk by HTTP Range (hash check;
 *            a bad chunk is discarded and refetched alone) -> decrypt -> write the inactive slot
 *            -> resume record
 *         -> FINISH: re-hash the written image from flash, firmware hash + RSA-PSS, write the
 *            pending update record (fg_rollback.h), THEN switch the boot partition
 *   and after the reboot (fg_ota_report_outcome): success once the new image confirmed itself,
 *   or "rolled_back" when it is not what runs.
 *
 * RAM: one chunk, one hash page, the manifest text and its tokens, all from fg_ota_config_t
 * (fixed sizes: the largest chunk the device accepts, one page, 4 KiB of manifest); nothing grows
 * with the image. An image whose chunks are larger than chunk_cap is refused (chunk_length)
 * before any flash write.
 *
 * Interruption (power cut, lost network, or cfg.stop_after_chunks) leaves a resume record in the
 * kv store ("fg_ota_res": SHA-256 of the manifest header, next chunk, IV of the next chunk). The
 * next run for the same image continues at that chunk: flash bytes before it are kept, IV(n)
 * comes from the record, and the plaintext hash is recomputed from flash at the end. A different
 * image discards the record. Format 1 manifests (the full chunk list) are refused here with
 * header_format: they are for devices that predate format 2.
 *
 * Withdrawn versions: when the source says the gateway refused the version for good — a signed
 * 410 "yanked" or 409 "not_assigned" (FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED; fg_ota_gateway never
 * returns them for an unsigned or wrongly signed answer) — at the manifest, a hash page or a
 * chunk, the run stops at once (no retry, no further request), drops the slot writer (the slot is
 * never switched to), erases the resume record of that version, records why ("fg_ota_drop",
 * fg_ota_withdrawn()) and reports nothing: the gateway decided it, and /ota/complete would count
 * a device failure against the rollout. The next run asks /ota/check afresh. The record is
 * erased when an update is activated.
 */
#ifndef FLEETGATE_FG_OTA_H
#define FLEETGATE_FG_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_json.h"
#include "fleetgate/fg_manifest.h"
#include "fleetgate/fg_ota_verify.h"
#include "fleetgate/fg_rollback.h"
#include "fleetgate/platform/fg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_OTA_KV_RESUME "fg_ota_res"
/** Why the last download was dropped: the gateway withdrew its version (fg_ota_withdrawn()). */
#define FG_OTA_KV_WITHDRAWN "fg_ota_drop"
/** Tokens a format 2 manifest needs (19 members: 39 tokens), with room for unknown members. */
#define FG_OTA_MANIFEST_TOKENS 64u

/** One byte range of the encrypted image: exactly chunk n. */
typedef struct {
  uint32_t chunk;
  uint32_t offset;
  uint32_t length;
  uint32_t total;          /**< encrypted_size (the Content-Range's "/size") */
  const uint8_t *root;     /**< the signed root: the answer's ETag must be "<hex>" of it */
} fg_ota_range_t;

typedef struct fg_ota_source {
  /** Is an update available for a device running current_version? Writes the offered version
   *  to version ("" when none). */
  int (*check)(void *ctx, const char *current_version, char *version, size_t cap);
  /** The manifest JSON of version (GET /ota/manifest/<version>). */
  int (*manifest)(void *ctx, const char *version, char *buf, size_t cap, size_t *len);
  /** The "FGHP" answer of hash page `page` (GET /ota/hashes/<version>?page=N). */
  int (*hash_page)(void *ctx, const char *version, uint32_t page, uint8_t *buf, size_t cap,
                   size_t *len);
  /* manifest, hash_page and chunk return FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED only for a refusal
   * the gateway authenticated (its signature verified): the run then drops the version for good.
   * Anything else that fails (transport, unsigned or forged answers) is retried later. */
  /** Encrypted bytes of one chunk (GET /ota/firmware/<version> with Range). */
  int (*chunk)(void *ctx, const char *version, const fg_ota_range_t *range, uint8_t *buf,
               size_t cap, size_t *len);
  /** Reports an outcome: ok, or the failed check name (or "rolled_back") and a detail text. */
  int (*report)(void *ctx, const char *version, bool ok, const char *check, const char *detail);
  void *ctx;
} fg_ota_source_t;

typedef enum {
  FG_OTA_EV_AVAILABLE = 1,  /**< check found version */
  FG_OTA_EV_MANIFEST,       /**< manifest authenticated (header, copies, rollback) */
  FG_OTA_EV_RESUME,         /**< continuing an interrupted download at chunk */
  FG_OTA_EV_CHUNK,          /**< chunk verified and written */
  FG_OTA_EV_CHUNK_REJECTED, /**< chunk failed check (chunk_hash/chunk_length): refetching */
  FG_OTA_EV_INTERRUPTED,    /**< stopped after cfg.stop_after_chunks (resume record kept) */
  FG_OTA_EV_VERIFIED,       /**< image verified, pending record written, boot partition switched */
  FG_OTA_EV_REPORTED,       /**< outcome reported to the gateway */
  FG_OTA_EV_PAGE,           /**< hash page accepted */
  FG_OTA_EV_PAGE_REJECTED,  /**< hash page failed hash_page: refetching */
  FG_OTA_EV_ACTIVATING,     /**< pending record written; the boot partition is switched next */
  FG_OTA_EV_WITHDRAWN,      /**< the gateway withdrew the version (check: "yanked" or
                                 "not_assigned"; chunk: chunks it had written): dropped */
} fg_ota_event_type_t;

typedef struct {
  fg_ota_event_type_t type;
  const char *version;
  uint32_t chunk;          /**< chunk, or page for PAGE events */
  uint32_t total_chunks;   /**< total chunks, or total pages for PAGE events */
  uint32_t attempt;
  const char *check;       /**< for *_REJECTED and REPORTED */
} fg_ota_event_t;

typedef struct {
  uint8_t *chunk_buf;          /**< >= the image's chunk_size */
  size_t chunk_cap;
  uint8_t *page_buf;           /**< >= FG_HASH_PAGE_BYTES(page_entries) */
  size_t page_cap;
  char *manifest_buf;          /**< the manifest JSON text (<= 4 KiB) */
  size_t manifest_cap;
  fg_json_tok_t *toks;         /**< >= FG_OTA_MANIFEST_TOKENS */
  size_t toks_cap;
  uint8_t max_chunk_attempts;  /**< fetches per chunk or page before giving up (default 3) */
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
  uint32_t chunk_size;
  uint32_t chunks_written;      /**< in this run */
  uint32_t pages_fetched;       /**< in this run */
  uint32_t next_chunk;          /**< where a resume would continue */
  uint32_t refetches;           /**< chunks and pages fetched again after a failed check */
  bool resumed;
  uint32_t resumed_at;
  bool complete;                /**< verified and activated (reported after the reboot) */
  bool withdrawn;               /**< the gateway withdrew the version: dropped (see the return) */
  uint8_t failed_check;         /**< fg_ota_check_t */
  int32_t failed_chunk;
} fg_ota_result_t;

/** The last download dropped because the gateway withdrew its version (FG_OTA_KV_WITHDRAWN). */
typedef struct {
  char version[FG_MANIFEST_VERSION_MAX + 1];
  int reason;          /**< FG_ERR_YANKED or FG_ERR_NOT_ASSIGNED; fg_err_name() gives the
                            gateway's code ("yanked", "not_assigned") */
  uint32_t chunks;     /**< chunks of it that were in the slot when it stopped */
} fg_ota_withdrawn_t;

/**
 * Runs one OTA attempt. version NULL or "" asks the source first (check) and returns
 * FG_ERR_NOTHING when no update is offered. current_version is what runs now.
 * @return 0 when the image is verified and activated (pending confirmation on the next boot;
 *         the outcome is reported by fg_ota_report_outcome() after it); FG_ERR_INTERRUPTED when
 *         stopped on purpose; FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED when the gateway withdrew the
 *         version (res->withdrawn: dropped, recorded, not reported); otherwise the failure
 *         (res->failed_check for a verification failure, which is also reported to the source at
 *         once).
 */
int fg_ota_run(const fg_platform_t *plat, const fg_ota_keys_t *keys, const fg_ota_source_t *src,
               const fg_ota_config_t *cfg, const char *current_version, const char *version,
               fg_ota_result_t *res);

/**
 * Call once at boot: what this boot is about (fg_rollback_boot_state()), with one refinement: an
 * installed record whose image does not run while the download's resume record still exists
 * means the power went between writing the record and switching the boot partition — not a
 * rollback: the record is dropped (the next fg_ota_run re-verifies and activates) and the state
 * is NORMAL. buf: scratch for hashing the running image (>= 64 bytes; bigger is faster).
 */
int fg_ota_boot(const fg_platform_t *plat, uint8_t *buf, size_t cap, fg_rollback_pending_t *pending,
                fg_boot_state_t *state);

/**
 * After a boot (fg_ota_boot() said CONFIRMED or ROLLED_BACK): reports the outcome of
 * the last update — success with the running version, or failure "rolled_back: ..." for the
 * version that did not stay — and erases the record once the gateway took it. A report that
 * cannot be sent keeps the record (try again later). FG_ERR_NOTHING when nothing is outstanding.
 */
int fg_ota_report_outcome(const fg_platform_t *plat, const fg_ota_source_t *src,
                          const char *running_version, fg_boot_state_t state,
                          const fg_rollback_pending_t *pending);

/** Drops any resume record (e.g. operator cancelled the update). */
int fg_ota_forget_resume(const fg_kv_t *kv);

/**
 * Why the last download was dropped (the gateway withdrew its version), for status and
 * diagnostics. FG_ERR_NOT_FOUND when none was since the last activated update.
 */
int fg_ota_withdrawn(const fg_kv_t *kv, fg_ota_withdrawn_t *out);

/** Writes a as {"version":V,"reason":"yanked"|"not_assigned","chunks":N} (status, diagnostics). */
void fg_ota_withdrawn_json(fg_jsonw_t *w, const fg_ota_withdrawn_t *a);

#ifdef __cplusplus
}
#endif
#endif
