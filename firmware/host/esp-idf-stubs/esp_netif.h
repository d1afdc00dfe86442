/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/esp_netif/include/esp_netif.h, components/esp_netif/include/esp_netif_types.h (IP_EVENT).
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include "esp_err.h"
#include "esp_event.h"
typedef struct esp_netif_obj esp_netif_t;
extern esp_event_base_t const IP_EVENT;
typedef enum { IP_EVENT_STA_GOT_IP, IP_EVENT_STA_LOST_IP } ip_event_t;
esp_err_t esp_netif_init(void);
