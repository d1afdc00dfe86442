/**
 * @file fg_hex.h
 * @brief Lowercase hex encoding/decoding (MACs, signatures, hashes, keys).
 */
#ifndef FLEETGATE_FG_HEX_H
#define FLEETGATE_FG_HEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writes 2*len lowercase hex chars and a NUL into out (cap >= 2*len+1). */
int fg_hex_encode(const uint8_t *data, size_t len, char *out, size_t cap);

/**
 * Decodes exactly `hex_len` hex characters (either case) into out.
 * @return the number of bytes written, FG_ERR_FORMAT on odd length or a non-hex char,
 *         FG_ERR_BUFFER_TOO_SMALL if cap < hex_len/2.
 */
int fg_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
