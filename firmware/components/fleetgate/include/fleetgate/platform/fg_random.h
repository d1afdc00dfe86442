/**
 * @file fg_random.h
 * @brief Port interface: cryptographically strong random bytes (esp_fill_random with RF on,
 *        getrandom(2) on POSIX). Used for retry jitter and ids, never for nonces (those are
 *        counters, see fg_nonce.h).
 */
#ifndef FLEETGATE_PLATFORM_FG_RANDOM_H
#define FLEETGATE_PLATFORM_FG_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_random {
  int (*fill)(void *ctx, uint8_t *buf, size_t len);
  void *ctx;
} fg_random_t;

#ifdef __cplusplus
}
#endif
#endif
