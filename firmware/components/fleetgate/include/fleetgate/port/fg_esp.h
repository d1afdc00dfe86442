/**
 * @file fg_esp.h
 * @brief ESP-IDF (v5.x) implementations of the port interfaces. Only compiled in the ESP-IDF
 *        component build (port/esp-idf/); the portable core never includes ESP-IDF headers.
 *
 * kv:     NVS namespace FG_ESP_NVS_NAMESPACE (blobs; nvs_commit after each set).
 * clock:  esp_timer_get_time / time() (valid once SNTP has set it) / vTaskDelay.
 * random: esp_fill_random (true RNG while Wi-Fi/BT is on).
 * http:   esp_http_client, one connection per exchange; HTTPS with the certificate bundle when
 *         the base URL is https://.
 * flash:  the next OTA partition through esp_partition_* (erase each 4 KiB sector on first
 *         touch, so a resumed download keeps what it wrote), esp_ota_set_boot_partition() on
 *         finish (which also validates the image), esp_ota_mark_app_valid_cancel_rollback() on
 *         confirm.
 */
#ifndef FLEETGATE_PORT_FG_ESP_H
#define FLEETGATE_PORT_FG_ESP_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/platform/fg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_ESP_NVS_NAMESPACE "fleetgate"

typedef struct {
  uint32_t handle; /* nvs_handle_t */
} fg_esp_kv_ctx_t;

/** nvs_flash_init() must have run. */
int fg_esp_kv_init(fg_kv_t *kv, fg_esp_kv_ctx_t *ctx);
void fg_esp_clock_init(fg_clock_t *clock);
void fg_esp_random_init(fg_random_t *rnd);

typedef struct {
  char base_url[128];
  uint32_t timeout_ms;
} fg_esp_http_ctx_t;

int fg_esp_http_init(fg_http_t *http, fg_esp_http_ctx_t *ctx, const char *base_url,
                     uint32_t timeout_ms);

typedef struct {
  const void *partition; /* const esp_partition_t * */
  size_t image_size;
  size_t erased_upto;
} fg_esp_flash_ctx_t;

int fg_esp_flash_init(fg_flash_t *flash, fg_esp_flash_ctx_t *ctx);

#ifdef __cplusplus
}
#endif
#endif
