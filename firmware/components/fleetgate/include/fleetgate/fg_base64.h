/**
 * @file fg_base64.h
 * @brief Standard base64 (RFC 4648 §4, '+' '/' alphabet, '=' padding), no line breaks.
 */
#ifndef FLEETGATE_FG_BASE64_H
#define FLEETGATE_FG_BASE64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Length of the encoding of n bytes, without NUL. */
#define FG_BASE64_ENCODED_LEN(n) ((((n) + 2u) / 3u) * 4u)
/** Upper bound of the decoding of an n-character string. */
#define FG_BASE64_DECODED_MAX(n) ((((n) + 3u) / 4u) * 3u)

/**
 * Encodes len bytes into out and NUL-terminates (cap >= FG_BASE64_ENCODED_LEN(len) + 1).
 * @return the encoded length (without NUL) or a negative FG_ERR_*.
 */
int fg_base64_encode(const uint8_t *data, size_t len, char *out, size_t cap);

/**
 * Strict decode: length must be a multiple of 4, only alphabet characters, padding only at
 * the end, and unused bits in the last group must be zero (so every byte string has exactly one
 * accepted encoding).
 * @return the number of decoded bytes or a negative FG_ERR_*.
 */
int fg_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
