#include "fleetgate/fg_envelope.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_sign.h"

int fg_envelope_mac(const uint8_t key[FG_DEVICE_KEY_LEN], uint32_t nonce, const char *payload_b64,
                    size_t b64_len, uint8_t mac[32]) {
  return fg_sign_nonce_mac(key, nonce, payload_b64, b64_len, mac);
}

int fg_envelope_build(const char *device_id, const uint8_t key[FG_DEVICE_KEY_LEN], uint32_t nonce,
                      const uint8_t *payload, size_t payload_len, char *out, size_t cap) {
  if (device_id == NULL || key == NULL || out == NULL || (payload == NULL && payload_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  fg_jsonw_t w;
  fg_jsonw_init(&w, out, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "device_id");
  fg_jsonw_str(&w, device_id);
  fg_jsonw_key(&w, "nonce");
  fg_jsonw_u64(&w, nonce);
  fg_jsonw_key(&w, "payload");
  if (w.err != 0) {
    return w.err;
  }
  /* base64 goes straight into the output buffer between the quotes */
  const size_t b64_len = FG_BASE64_ENCODED_LEN(payload_len);
  const size_t tail = 1 /* " */ + 7 /* ,"mac": */ + 2 + FG_MAC_HEX_LEN + 1 /* } */ + 1 /* NUL */;
  if (w.len + 1 + b64_len + tail > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  out[w.len++] = '"';
  char *b64 = out + w.len;
  const int n = fg_base64_encode(payload, payload_len, b64, cap - w.len);
  if (n < 0) {
    return n;
  }
  w.len += (size_t)n;
  out[w.len++] = '"';
  uint8_t mac[32];
  int rc = fg_envelope_mac(key, nonce, b64, (size_t)n, mac);
  if (rc != 0) {
    return rc;
  }
  char mac_hex[FG_MAC_HEX_LEN + 1];
  rc = fg_hex_encode(mac, sizeof(mac), mac_hex, sizeof(mac_hex));
  if (rc != 0) {
    return rc;
  }
  w.after_key = 0; /* the value was written by hand */
  fg_jsonw_key(&w, "mac");
  fg_jsonw_str(&w, mac_hex);
  fg_jsonw_obj_end(&w);
  return fg_jsonw_finish(&w);
}
