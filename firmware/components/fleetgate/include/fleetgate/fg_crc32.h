/**
 * @file fg_crc32.h
 * @brief CRC-32 (IEEE 802.3 / zlib: reflected 0xEDB88320, init and final XOR 0xFFFFFFFF),
 *        table-driven (1 KiB const table in flash). crc32("123456789") = 0xcbf43926.
 */
#ifndef FLEETGATE_FG_CRC32_H
#define FLEETGATE_FG_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Continues a CRC: start with crc = 0, pass the previous result to continue. */
uint32_t fg_crc32_update(uint32_t crc, const void *data, size_t len);
uint32_t fg_crc32(const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
