/* Little-endian loads and stores of the wire formats and NVS records (explicit byte order, no
 * unaligned casts: server/codec/SPEC.md §12), shared by the core's modules. Internal header. */
#ifndef FLEETGATE_FG_LE_PRIVATE_H
#define FLEETGATE_FG_LE_PRIVATE_H

#include <stdint.h>

static inline uint32_t fg_le32_load(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void fg_le32_store(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

#endif
