#include "fleetgate/fg_sign.h"

#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"

void fg_sign_nonce_be(uint32_t nonce, uint8_t out[4]) {
  out[0] = (uint8_t)(nonce >> 24);
  out[1] = (uint8_t)(nonce >> 16);
  out[2] = (uint8_t)(nonce >> 8);
  out[3] = (uint8_t)nonce;
}

/* A byte range to feed into the MAC. */
typedef struct {
  const void *data;
  size_t len;
} prv_part_t;

/* HMAC-SHA256(key, nonce as 4 bytes big-endian ‖ parts...): every device-protocol MAC has this
 * shape; only what follows the nonce differs. Frees the context on every error path. */
static int prv_nonce_mac(const uint8_t key[32], uint32_t nonce, const prv_part_t *parts, size_t n,
                         uint8_t mac[32]) {
  uint8_t be[4];
  fg_sign_nonce_be(nonce, be);
  fg_hmac_t m;
  int rc = fg_hmac_start(&m, key, 32);
  if (rc != 0) {
    return rc;
  }
  rc = fg_hmac_update(&m, be, sizeof(be));
  for (size_t i = 0; rc == 0 && i < n; i++) {
    rc = fg_hmac_update(&m, parts[i].data, parts[i].len);
  }
  if (rc != 0) {
    fg_hmac_free(&m);
    return rc;
  }
  return fg_hmac_finish(&m, mac);
}

int fg_sign_request_mac(const uint8_t key[32], uint32_t nonce, const char *method,
                        const char *path_with_query, const uint8_t *body, size_t body_len,
                        uint8_t mac[32]) {
  if (key == NULL || method == NULL || path_with_query == NULL || mac == NULL ||
      (body == NULL && body_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  const prv_part_t parts[] = {
      {method, strlen(method)},
      {" ", 1},
      {path_with_query, strlen(path_with_query)},
      {"\n", 1},
      {body, body_len},
  };
  return prv_nonce_mac(key, nonce, parts, sizeof(parts) / sizeof(parts[0]), mac);
}

int fg_sign_request(const uint8_t key[32], uint32_t nonce, const char *method,
                    const char *path_with_query, const uint8_t *body, size_t body_len,
                    char sig_hex[65]) {
  if (sig_hex == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t mac[32];
  const int rc = fg_sign_request_mac(key, nonce, method, path_with_query, body, body_len, mac);
  if (rc != 0) {
    return rc;
  }
  return fg_hex_encode(mac, sizeof(mac), sig_hex, 65);
}

int fg_sign_nonce_mac(const uint8_t key[32], uint32_t nonce, const void *data, size_t len,
                      uint8_t mac[32]) {
  if (key == NULL || mac == NULL || (data == NULL && len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  const prv_part_t parts[] = {{data, len}};
  return prv_nonce_mac(key, nonce, parts, 1, mac);
}

int fg_sign_response_mac(const uint8_t key[32], uint32_t nonce, const uint8_t *body,
                         size_t body_len, uint8_t mac[32]) {
  return fg_sign_nonce_mac(key, nonce, body, body_len, mac);
}

int fg_sign_response_verify(const uint8_t key[32], uint32_t nonce, const uint8_t *body,
                            size_t body_len, const char *sig_hex) {
  if (sig_hex == NULL || sig_hex[0] == '\0') {
    return FG_ERR_AUTH;
  }
  uint8_t mac[32];
  const int rc = fg_sign_response_mac(key, nonce, body, body_len, mac);
  if (rc != 0) {
    return rc;
  }
  return fg_ct_equal_hex(sig_hex, strlen(sig_hex), mac) ? FG_OK : FG_ERR_AUTH;
}
