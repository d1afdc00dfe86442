#include "fleetgate/fg_hex.h"

#include "fleetgate/fg_err.h"

static int prv_nibble(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

int fg_hex_encode(const uint8_t *data, size_t len, char *out, size_t cap) {
  static const char digits[] = "0123456789abcdef";
  if ((data == NULL && len > 0) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (cap < len * 2 + 1) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0x0F];
  }
  out[len * 2] = '\0';
  return FG_OK;
}

int fg_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap) {
  if ((hex == NULL && hex_len > 0) || (out == NULL && hex_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (hex_len % 2 != 0) {
    return FG_ERR_FORMAT;
  }
  if (cap < hex_len / 2) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  for (size_t i = 0; i < hex_len / 2; i++) {
    const int hi = prv_nibble(hex[2 * i]);
    const int lo = prv_nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return FG_ERR_FORMAT;
    }
    out[i] = (uint8_t)((hi << 4) | lo);
  }
  return (int)(hex_len / 2);
}
