#include "app_sensor.h"

#include <math.h>
#include <string.h>

#include "esp_random.h"
#include "esp_timer.h"

static double prv_noise(double amplitude) {
  return amplitude * ((double)(esp_random() % 2001u) / 1000.0 - 1.0);
}

bool app_sensor_read(const char *name, double *value) {
  const double t = (double)esp_timer_get_time() / 1e6;
  if (strcmp(name, "voltage") == 0) {
    *value = round((230.0 + 2.0 * sin(t / 600.0) + prv_noise(0.3)) * 10.0) / 10.0;
  } else if (strcmp(name, "current") == 0) {
    *value = round((5.0 + 3.0 * sin(t / 900.0) + prv_noise(0.1)) * 100.0) / 100.0;
  } else if (strcmp(name, "power") == 0) {
    *value = round((1150.0 + 700.0 * sin(t / 900.0) + prv_noise(15.0)) * 10.0) / 10.0;
  } else if (strcmp(name, "frequency") == 0) {
    *value = round((50.0 + prv_noise(0.02)) * 100.0) / 100.0;
  } else if (strcmp(name, "energy") == 0) {
    *value = floor(t / 3.6);
  } else {
    return false;
  }
  return true;
}
