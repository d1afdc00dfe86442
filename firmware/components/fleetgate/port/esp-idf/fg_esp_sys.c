#include <sys/time.h>
#include <time.h>

#include "esp_random.h"
#include "esp_timer.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_esp.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

/* Any time before this means SNTP has not set the clock yet (the RTC starts at 1970). */
#define PRV_MIN_VALID_UNIX 1700000000LL

static uint64_t prv_uptime_ms(void *ctx) {
  (void)ctx;
  return (uint64_t)(esp_timer_get_time() / 1000);
}

static int prv_unix_time(void *ctx, int64_t *out) {
  (void)ctx;
  const time_t now = time(NULL);
  if ((long long)now < PRV_MIN_VALID_UNIX) {
    return FG_ERR_STATE;
  }
  *out = (int64_t)now;
  return FG_OK;
}

static void prv_sleep_ms(void *ctx, uint32_t ms) {
  (void)ctx;
  vTaskDelay(pdMS_TO_TICKS(ms));
}

void fg_esp_clock_init(fg_clock_t *clock) {
  clock->uptime_ms = prv_uptime_ms;
  clock->unix_time = prv_unix_time;
  clock->sleep_ms = prv_sleep_ms;
  clock->ctx = NULL;
}

static int prv_fill(void *ctx, uint8_t *buf, size_t len) {
  (void)ctx;
  esp_fill_random(buf, len);
  return FG_OK;
}

void fg_esp_random_init(fg_random_t *rnd) {
  rnd->fill = prv_fill;
  rnd->ctx = NULL;
}
