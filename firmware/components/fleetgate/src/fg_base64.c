#include "fleetgate/fg_base64.h"

#include "fleetgate/fg_err.h"

static const char s_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int prv_value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

int fg_base64_encode(const uint8_t *data, size_t len, char *out, size_t cap) {
  if ((data == NULL && len > 0) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const size_t need = FG_BASE64_ENCODED_LEN(len);
  if (len > (size_t)0x5FFFFFFF || cap < need + 1) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  size_t o = 0;
  size_t i = 0;
  for (; i + 3 <= len; i += 3) {
    const uint32_t v = ((uint32_t)data[i] << 16) | ((uint32_t)data[i + 1] << 8) | data[i + 2];
    out[o++] = s_alphabet[(v >> 18) & 0x3F];
    out[o++] = s_alphabet[(v >> 12) & 0x3F];
    out[o++] = s_alphabet[(v >> 6) & 0x3F];
    out[o++] = s_alphabet[v & 0x3F];
  }
  if (len - i == 1) {
    const uint32_t v = (uint32_t)data[i] << 16;
    out[o++] = s_alphabet[(v >> 18) & 0x3F];
    out[o++] = s_alphabet[(v >> 12) & 0x3F];
    out[o++] = '=';
    out[o++] = '=';
  } else if (len - i == 2) {
    const uint32_t v = ((uint32_t)data[i] << 16) | ((uint32_t)data[i + 1] << 8);
    out[o++] = s_alphabet[(v >> 18) & 0x3F];
    out[o++] = s_alphabet[(v >> 12) & 0x3F];
    out[o++] = s_alphabet[(v >> 6) & 0x3F];
    out[o++] = '=';
  }
  out[o] = '\0';
  return (int)o;
}

int fg_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap) {
  if ((in == NULL && in_len > 0) || (out == NULL && in_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (in_len % 4 != 0) {
    return FG_ERR_FORMAT;
  }
  if (in_len == 0) {
    return 0;
  }
  size_t pad = 0;
  if (in[in_len - 1] == '=') {
    pad++;
    if (in[in_len - 2] == '=') {
      pad++;
    }
  }
  const size_t out_len = in_len / 4 * 3 - pad;
  if (cap < out_len) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  size_t o = 0;
  for (size_t i = 0; i < in_len; i += 4) {
    const int last = (i + 4 == in_len);
    int v[4];
    for (int k = 0; k < 4; k++) {
      if (last && in[i + (size_t)k] == '=' && (size_t)k >= 4 - pad) {
        v[k] = 0;
        continue;
      }
      v[k] = prv_value(in[i + (size_t)k]);
      if (v[k] < 0) {
        return FG_ERR_FORMAT;
      }
    }
    const uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                       (uint32_t)v[3];
    if (last && pad == 2) {
      if ((w & 0xFFFF) != 0) {
        return FG_ERR_FORMAT; /* non-canonical trailing bits */
      }
      out[o++] = (uint8_t)(w >> 16);
    } else if (last && pad == 1) {
      if ((w & 0xFF) != 0) {
        return FG_ERR_FORMAT;
      }
      out[o++] = (uint8_t)(w >> 16);
      out[o++] = (uint8_t)(w >> 8);
    } else {
      out[o++] = (uint8_t)(w >> 16);
      out[o++] = (uint8_t)(w >> 8);
      out[o++] = (uint8_t)w;
    }
  }
  return (int)o;
}
