#include "fleetgate/platform/fg_kv.h"

#include "fleetgate/fg_err.h"

int fg_kv_get_u32(const fg_kv_t *kv, const char *key, uint32_t *out) {
  if (kv == NULL || kv->get == NULL || key == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t b[4];
  size_t len = 0;
  const int rc = kv->get(kv->ctx, key, b, sizeof(b), &len);
  if (rc != 0) {
    return rc == FG_ERR_BUFFER_TOO_SMALL ? FG_ERR_FORMAT : rc;
  }
  if (len != sizeof(b)) {
    return FG_ERR_FORMAT;
  }
  *out = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
  return FG_OK;
}

int fg_kv_set_u32(const fg_kv_t *kv, const char *key, uint32_t v) {
  if (kv == NULL || kv->set == NULL || key == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  return kv->set(kv->ctx, key, b, sizeof(b));
}
