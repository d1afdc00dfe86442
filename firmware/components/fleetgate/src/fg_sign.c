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

int fg_sign_request_mac(const uint8_t key[32], uint32_t nonce, const char *method,
                        const char *path_with_query, const uint8_t *body, size_t body_len,
                        uint8_t mac[32]) {
  if (key == NULL || method == NULL || path_with_query == NULL || mac == NULL ||
      (body == NULL && body_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t be[4];
  fg_sign_nonce_be(nonce, be);
  fg_hmac_t m;
  int rc = fg_hmac_start(&m, key, 32);
  if (rc != 0) {
    return rc;
  }
  rc = fg_hmac_update(&m, be, sizeof(be));
  if (rc == 0) {
    rc = fg_hmac_update(&m, method, strlen(method));
  }
  if (rc == 0) {
    rc = fg_hmac_update(&m, " ", 1);
  }
  if (rc == 0) {
    rc = fg_hmac_update(&m, path_with_query, strlen(path_with_query));
  }
  if (rc == 0) {
    rc = fg_hmac_update(&m, "\n", 1);
  }
  if (rc == 0) {
    rc = fg_hmac_update(&m, body, body_len);
  }
  if (rc != 0) {
    fg_hmac_free(&m);
    return rc;
  }
  return fg_hmac_finish(&m, mac);
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

int fg_sign_response_mac(const uint8_t key[32], uint32_t nonce, const uint8_t *body,
                         size_t body_len, uint8_t mac[32]) {
  if (key == NULL || mac == NULL || (body == NULL && body_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t be[4];
  fg_sign_nonce_be(nonce, be);
  fg_hmac_t m;
  int rc = fg_hmac_start(&m, key, 32);
  if (rc != 0) {
    return rc;
  }
  rc = fg_hmac_update(&m, be, sizeof(be));
  if (rc == 0) {
    rc = fg_hmac_update(&m, body, body_len);
  }
  if (rc != 0) {
    fg_hmac_free(&m);
    return rc;
  }
  return fg_hmac_finish(&m, mac);
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
