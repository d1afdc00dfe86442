/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/mbedtls/esp_crt_bundle/include/esp_crt_bundle.h.
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include "esp_err.h"
esp_err_t esp_crt_bundle_attach(void *conf);
