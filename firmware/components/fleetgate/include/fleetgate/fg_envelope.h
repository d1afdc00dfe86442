/**
 * @file fg_envelope.h
 * @brief The upload envelope of `POST /aggregated/<device_id>`:
 *
 *     {"device_id":"<id>","nonce":<u32>,"payload":"<base64>","mac":"<64 lowercase hex>"}
 *
 * payload = base64(UTF-8 JSON document); mac = HMAC-SHA256(device key,
 * nonce as 4 bytes big-endian || the ASCII bytes of the base64 string exactly as sent).
 */
#ifndef FLEETGATE_FG_ENVELOPE_H
#define FLEETGATE_FG_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_base64.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_DEVICE_KEY_LEN 32u
#define FG_MAC_HEX_LEN 64u

/** Upper bound of the envelope size for a device id of id_len bytes and a payload of n bytes
 *  (device id assumed to need no escaping; ids with quotes/backslashes need up to 6x). */
#define FG_ENVELOPE_MAX_LEN(id_len, n) (FG_BASE64_ENCODED_LEN(n) + (id_len) + 128u)

/** mac = HMAC-SHA256(key, nonce BE || payload_b64). */
int fg_envelope_mac(const uint8_t key[FG_DEVICE_KEY_LEN], uint32_t nonce, const char *payload_b64,
                    size_t b64_len, uint8_t mac[32]);

/**
 * Builds the envelope JSON into out (NUL-terminated). The base64 text is written directly into
 * out, so no second buffer is needed.
 * @return the JSON length or a negative FG_ERR_*.
 */
int fg_envelope_build(const char *device_id, const uint8_t key[FG_DEVICE_KEY_LEN], uint32_t nonce,
                      const uint8_t *payload, size_t payload_len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
