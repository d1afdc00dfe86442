/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/app_update/include/esp_ota_ops.h (esp_ota_img_states_t: components/bootloader_support/include/esp_flash_partitions.h).
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include "esp_err.h"
#include "esp_partition.h"
typedef enum {
    ESP_OTA_IMG_NEW             = 0x0U,
    ESP_OTA_IMG_PENDING_VERIFY  = 0x1U,
    ESP_OTA_IMG_VALID           = 0x2U,
    ESP_OTA_IMG_INVALID         = 0x3U,
    ESP_OTA_IMG_ABORTED         = 0x4U,
    ESP_OTA_IMG_UNDEFINED       = 0xFFFFFFFFU,
} esp_ota_img_states_t;
const esp_partition_t* esp_ota_get_running_partition(void);
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state);
const esp_partition_t* esp_ota_get_next_update_partition(const esp_partition_t *start_from);
esp_err_t esp_ota_set_boot_partition(const esp_partition_t* partition);
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void);
esp_err_t esp_ota_mark_app_invalid_rollback_and_reboot(void);
