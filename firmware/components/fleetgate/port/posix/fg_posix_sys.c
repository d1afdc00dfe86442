#define _GNU_SOURCE
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_posix.h"

static uint64_t prv_uptime_ms(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int prv_unix_time(void *ctx, int64_t *out) {
  (void)ctx;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    return FG_ERR_STATE;
  }
  *out = (int64_t)ts.tv_sec;
  return FG_OK;
}

static void prv_sleep_ms(void *ctx, uint32_t ms) {
  (void)ctx;
  struct timespec ts = {.tv_sec = (time_t)(ms / 1000u), .tv_nsec = (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void fg_posix_clock_init(fg_clock_t *clock) {
  clock->uptime_ms = prv_uptime_ms;
  clock->unix_time = prv_unix_time;
  clock->sleep_ms = prv_sleep_ms;
  clock->ctx = NULL;
}

static int prv_fill(void *ctx, uint8_t *buf, size_t len) {
  (void)ctx;
  size_t done = 0;
  while (done < len) {
    const ssize_t r = getrandom(buf + done, len - done, 0);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return FG_ERR_FROM_PORT(errno);
    }
    done += (size_t)r;
  }
  return FG_OK;
}

void fg_posix_random_init(fg_random_t *rnd) {
  rnd->fill = prv_fill;
  rnd->ctx = NULL;
}
