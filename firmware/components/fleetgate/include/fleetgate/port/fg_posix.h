/**
 * @file fg_posix.h
 * @brief POSIX implementations of the port interfaces (host simulator and tests).
 *
 * kv:     one file per key under <state_dir>/kv/, replaced atomically (write tmp, fsync, rename).
 * clock:  CLOCK_MONOTONIC / CLOCK_REALTIME / nanosleep.
 * random: getrandom(2).
 * http:   HTTP/1.1 over a plain TCP socket, one connection per exchange (Connection: close),
 *         Content-Length or chunked responses, timeouts via SO_RCVTIMEO/SO_SNDTIMEO.
 * flash:  two slot files <state_dir>/slot0.bin, slot1.bin plus an otadata file that mirrors
 *         ESP-IDF's states (new -> pending_verify -> valid, or rollback on an unconfirmed reboot).
 */
#ifndef FLEETGATE_PORT_FG_POSIX_H
#define FLEETGATE_PORT_FG_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/platform/fg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_POSIX_PATH_MAX 512

typedef struct {
  char dir[FG_POSIX_PATH_MAX];
} fg_posix_kv_ctx_t;

/** Creates <state_dir>/kv if needed. */
int fg_posix_kv_init(fg_kv_t *kv, fg_posix_kv_ctx_t *ctx, const char *state_dir);

void fg_posix_clock_init(fg_clock_t *clock);
void fg_posix_random_init(fg_random_t *rnd);

typedef struct {
  char host[256];
  char port[8];
  char prefix[256]; /**< path prefix of the base URL without trailing '/', usually "" */
  uint32_t timeout_ms;
  /** Test hook: count of exchanges performed. */
  uint32_t exchanges;
} fg_posix_http_ctx_t;

/** base_url: "http://host[:port][/prefix]" (plain HTTP only). */
int fg_posix_http_init(fg_http_t *http, fg_posix_http_ctx_t *ctx, const char *base_url,
                       uint32_t timeout_ms);

/** Slot image states, as ESP-IDF's esp_ota_img_states_t. */
typedef enum {
  FG_POSIX_IMG_VALID = 0,
  FG_POSIX_IMG_NEW,            /**< written and selected, not booted yet */
  FG_POSIX_IMG_PENDING_VERIFY, /**< booted once, not confirmed */
  FG_POSIX_IMG_ABORTED,        /**< rolled back */
} fg_posix_img_state_t;

typedef struct {
  char dir[FG_POSIX_PATH_MAX];
  size_t slot_size;
  /* otadata, persisted in <dir>/otadata */
  uint32_t running;     /**< slot running now (0/1) */
  uint32_t boot_slot;   /**< slot the next boot starts */
  uint32_t state[2];    /**< fg_posix_img_state_t per slot */
  char version[2][32];  /**< version string per slot (set by the sim after finish) */
  /* open writer */
  int fd;
  size_t image_size;
} fg_posix_flash_ctx_t;

int fg_posix_flash_init(fg_flash_t *flash, fg_posix_flash_ctx_t *ctx, const char *state_dir,
                        size_t slot_size);
int fg_posix_flash_save(fg_posix_flash_ctx_t *ctx);
/** Simulates a reset: applies the bootloader's rules (new -> pending_verify; an unconfirmed
 *  pending_verify image is rolled back). Sets *rolled_back accordingly. */
int fg_posix_flash_boot(fg_posix_flash_ctx_t *ctx, bool *rolled_back);

#ifdef __cplusplus
}
#endif
#endif
