/* Stub for compile checks (firmware/host/esp-idf-stubs/README.md). Prototypes copied verbatim from
 * ESP-IDF tags v5.1.4 and v5.3.1 (identical in both), components/freertos/FreeRTOS-Kernel/include/freertos/FreeRTOS.h, projdefs.h, portmacro.h (Xtensa).
 * Types are reduced to the members fleetgate uses, with their names and types as in those headers. */
#pragma once
#include <stdint.h>
#include "sdkconfig.h"
typedef uint32_t TickType_t;
typedef int BaseType_t;
#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdMS_TO_TICKS( xTimeInMs )    ( ( TickType_t ) ( ( ( TickType_t ) ( xTimeInMs ) * ( TickType_t ) configTICK_RATE_HZ ) / ( TickType_t ) 1000U ) )
#define PRIVILEGED_FUNCTION
#define BIT0 0x00000001
