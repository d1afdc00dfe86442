/* Meter/inverter readings. The reference build fills plausible values; a product replaces
 * app_sensor_read() with its Modbus/RS-485 driver. Registers are the names the gateway's config
 * lists (e.g. "voltage", "current", "power"). */
#ifndef APP_SENSOR_H
#define APP_SENSOR_H

#include <stdbool.h>

/** Reads register `name`; false if this device has no such register. */
bool app_sensor_read(const char *name, double *value);

#endif
