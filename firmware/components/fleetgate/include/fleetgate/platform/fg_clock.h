/**
 * @file fg_clock.h
 * @brief Port interface: monotonic time, wall-clock time and sleeping.
 */
#ifndef FLEETGATE_PLATFORM_FG_CLOCK_H
#define FLEETGATE_PLATFORM_FG_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fg_clock {
  /** Milliseconds since boot, monotonic. */
  uint64_t (*uptime_ms)(void *ctx);
  /** Unix time in seconds; FG_ERR_STATE while the clock is not set (no SNTP yet). */
  int (*unix_time)(void *ctx, int64_t *out);
  /** Blocks the calling task for ms milliseconds (backoff between retries). */
  void (*sleep_ms)(void *ctx, uint32_t ms);
  void *ctx;
} fg_clock_t;

#ifdef __cplusplus
}
#endif
#endif
