#include "fleetgate/fg_rollback.h"

#include <string.h>

#include "fleetgate/fg_err.h"

#define PRV_VERSION_MAX 32

int fg_rollback_min(const fg_kv_t *kv, uint32_t *min) {
  if (kv == NULL || min == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const int rc = fg_kv_get_u32(kv, FG_ROLLBACK_KEY_MIN, min);
  if (rc == FG_ERR_NOT_FOUND) {
    *min = 0;
    return FG_OK;
  }
  return rc;
}

int fg_rollback_set_pending(const fg_kv_t *kv, uint32_t counter, const char *version) {
  if (kv == NULL || version == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const size_t n = strlen(version);
  if (n == 0 || n >= PRV_VERSION_MAX) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t rec[4 + PRV_VERSION_MAX];
  rec[0] = (uint8_t)counter;
  rec[1] = (uint8_t)(counter >> 8);
  rec[2] = (uint8_t)(counter >> 16);
  rec[3] = (uint8_t)(counter >> 24);
  memcpy(rec + 4, version, n);
  return kv->set(kv->ctx, FG_ROLLBACK_KEY_PENDING, rec, 4 + n);
}

int fg_rollback_confirm(const fg_kv_t *kv, const char *running_version, uint32_t *new_min) {
  if (kv == NULL || running_version == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  uint32_t min = 0;
  int rc = fg_rollback_min(kv, &min);
  if (rc != 0) {
    return rc;
  }
  if (new_min != NULL) {
    *new_min = min;
  }
  uint8_t rec[4 + PRV_VERSION_MAX];
  size_t len = 0;
  rc = kv->get(kv->ctx, FG_ROLLBACK_KEY_PENDING, rec, sizeof(rec), &len);
  if (rc == FG_ERR_NOT_FOUND) {
    return FG_OK;
  }
  if (rc != 0 && rc != FG_ERR_BUFFER_TOO_SMALL) {
    return rc;
  }
  if (rc == 0 && len > 4 && len - 4 == strlen(running_version) &&
      memcmp(rec + 4, running_version, len - 4) == 0) {
    const uint32_t counter = (uint32_t)rec[0] | ((uint32_t)rec[1] << 8) |
                             ((uint32_t)rec[2] << 16) | ((uint32_t)rec[3] << 24);
    if (counter > min) {
      rc = fg_kv_set_u32(kv, FG_ROLLBACK_KEY_MIN, counter);
      if (rc != 0) {
        return rc; /* keep the pending record: try again on the next confirmation */
      }
      if (new_min != NULL) {
        *new_min = counter;
      }
    }
  }
  return kv->erase(kv->ctx, FG_ROLLBACK_KEY_PENDING);
}
