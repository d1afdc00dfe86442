/* Wi-Fi station bring-up and SNTP for the fleetgate app (ESP-IDF only). */
#ifndef APP_WIFI_H
#define APP_WIFI_H

#include <stdbool.h>
#include <stdint.h>

/** Starts the station and waits up to timeout_ms for an IP address. */
bool app_wifi_connect(uint32_t timeout_ms);
/** Starts SNTP and waits up to timeout_ms for the wall clock. */
bool app_time_sync(uint32_t timeout_ms);
/** RSSI of the current AP in dBm, or 1 when not connected (the diagnostics "omit" value). */
int32_t app_wifi_rssi(void);

#endif
