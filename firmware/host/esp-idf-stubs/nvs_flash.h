/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/nvs_flash/include/nvs_flash.h.
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include "esp_err.h"
esp_err_t nvs_flash_init(void);
