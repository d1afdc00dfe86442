/**
 * @file fg_rollback.h
 * @brief Anti-rollback security counter and the record of an installed update (SPEC §7 steps 6
 *        and 12, §12), persisted in the kv store.
 *
 *   "fg_sec_min"  u32  the minimum security_counter an image must carry (absent = 0)
 *   "fg_sec_pend" the installed update: counter, image size, plaintext SHA-256, version, state.
 *                 Written *before* the boot partition is switched, so a power cut between the two
 *                 leaves a record for an image that does not run (dropped at the next boot) rather
 *                 than a running image without one. Keyed by the image hash, not the version: after
 *                 a reboot the record applies only when the running image's bytes hash to it.
 *
 * Lifecycle: installed -> (reboot) the running image hashes to the record: trial ->
 * local self-test passes, confirm() checked -> minimum raised, state confirmed -> success
 * reported to the gateway -> record erased. Or: the running image does not hash to the record
 * (the bootloader rolled back, or the switch never happened) -> "rolled_back" reported -> erased.
 * The minimum only ever increases; a gateway that cannot be reached changes nothing.
 */
#ifndef FLEETGATE_FG_ROLLBACK_H
#define FLEETGATE_FG_ROLLBACK_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_manifest.h"
#include "fleetgate/platform/fg_flash.h"
#include "fleetgate/platform/fg_kv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_ROLLBACK_KEY_MIN "fg_sec_min"
#define FG_ROLLBACK_KEY_PENDING "fg_sec_pend"

typedef enum {
  FG_PENDING_INSTALLED = 1, /**< written and activated, not yet seen running */
  FG_PENDING_CONFIRMED = 2, /**< ran, passed its self-test, minimum raised; report outstanding */
} fg_pending_state_t;

typedef struct {
  uint32_t counter;
  uint32_t image_size;
  uint8_t sha256[32];
  char version[FG_MANIFEST_VERSION_MAX + 1];
  uint8_t state; /**< fg_pending_state_t */
} fg_rollback_pending_t;

typedef enum {
  FG_BOOT_NORMAL = 0,     /**< no update outstanding */
  FG_BOOT_TRIAL,          /**< running the installed image; it must pass its self-test */
  FG_BOOT_CONFIRMED,      /**< confirmed; the success report is outstanding */
  FG_BOOT_ROLLED_BACK,    /**< the installed image is not what runs: report rolled_back */
} fg_boot_state_t;

/** Current minimum (0 when never set). */
int fg_rollback_min(const fg_kv_t *kv, uint32_t *min);

int fg_rollback_set_pending(const fg_kv_t *kv, const fg_rollback_pending_t *p);
/** FG_ERR_NOT_FOUND when there is none. */
int fg_rollback_get_pending(const fg_kv_t *kv, fg_rollback_pending_t *p);
int fg_rollback_clear_pending(const fg_kv_t *kv);

/**
 * What this boot is about (call once at boot): compares the running image with an installed
 * record by hashing its first image_size bytes through flash->read_running (buf: scratch, any
 * size >= 64). *p receives the record (when there is one).
 */
int fg_rollback_boot_state(const fg_kv_t *kv, const fg_flash_t *flash, uint8_t *buf, size_t cap,
                           fg_rollback_pending_t *p, fg_boot_state_t *state);

/**
 * The running image passed its local self-test: flash->confirm() (its result checked: a failed
 * confirmation confirms nothing), the minimum raised to the record's counter (never lowered), the
 * record marked confirmed. *new_min (optional) receives the minimum.
 */
int fg_rollback_confirm(const fg_kv_t *kv, const fg_flash_t *flash, fg_rollback_pending_t *p,
                        uint32_t *new_min);

#ifdef __cplusplus
}
#endif
#endif
