/**
 * @file fg_rollback.h
 * @brief Anti-rollback security counter (SPEC §7 steps 6 and 12), persisted in the kv store.
 *
 *   "fg_sec_min"  u32  the minimum security_counter an image must carry (absent = 0)
 *   "fg_sec_pend" u32 counter + version string: set when a verified image is activated; applied
 *                 (min raised) only once that version runs and has confirmed itself. If the new
 *                 image is rolled back instead, the pending value is dropped, so a failed update
 *                 never locks the device out of re-installing it.
 * The minimum only ever increases. On ESP32 this sits in NVS; the eFuse secure_version of
 * ESP-IDF's own anti-rollback can be used on top (see firmware/README.md).
 */
#ifndef FLEETGATE_FG_ROLLBACK_H
#define FLEETGATE_FG_ROLLBACK_H

#include <stdint.h>

#include "fleetgate/platform/fg_kv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_ROLLBACK_KEY_MIN "fg_sec_min"
#define FG_ROLLBACK_KEY_PENDING "fg_sec_pend"

/** Current minimum (0 when never set). */
int fg_rollback_min(const fg_kv_t *kv, uint32_t *min);

/** Records that `version` with `counter` was activated and awaits confirmation. */
int fg_rollback_set_pending(const fg_kv_t *kv, uint32_t counter, const char *version);

/**
 * Called by the running firmware after it confirmed itself. If a pending record names
 * running_version, the minimum is raised to its counter (never lowered); the record is removed
 * either way. *applied (optional) tells whether the minimum changed.
 */
int fg_rollback_confirm(const fg_kv_t *kv, const char *running_version, uint32_t *new_min);

#ifdef __cplusplus
}
#endif
#endif
