/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/esp_hw_support/include/esp_random.h.
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include <stddef.h>
#include <stdint.h>
uint32_t esp_random(void);
void esp_fill_random(void *buf, size_t len);
