/**
 * @file fg_platform.h
 * @brief Everything the core needs from the platform, in one struct the app fills at boot.
 *
 * Each port is a small struct of function pointers plus a context pointer, so the same core runs
 * on ESP-IDF (port/esp-idf), on a PC (port/posix, the simulator) and against in-memory fakes in
 * the unit tests (fault injection: corrupted chunks, dropped responses, failing flash).
 */
#ifndef FLEETGATE_PLATFORM_FG_PLATFORM_H
#define FLEETGATE_PLATFORM_FG_PLATFORM_H

#include "fleetgate/platform/fg_clock.h"
#include "fleetgate/platform/fg_flash.h"
#include "fleetgate/platform/fg_http.h"
#include "fleetgate/platform/fg_kv.h"
#include "fleetgate/platform/fg_random.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const fg_kv_t *kv;
  const fg_clock_t *clock;
  const fg_http_t *http;
  const fg_flash_t *flash; /**< may be NULL on builds without OTA */
  const fg_random_t *random;
} fg_platform_t;

#ifdef __cplusplus
}
#endif
#endif
