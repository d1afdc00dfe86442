/**
 * @file fg_sign.h
 * @brief Signed device requests and signed gateway responses.
 *
 * Request:  X-Signature = hex HMAC-SHA256(key, nonce BE4 || METHOD || " " || path-with-query ||
 *           "\n" || raw body bytes)   (body empty for GET), with X-Device-Id and X-Nonce.
 * Response: X-Signature = hex HMAC-SHA256(key, request nonce BE4 || response body bytes).
 * The device rejects any answer whose signature does not verify: an injected answer (no key) or
 * a replayed one (signed for another nonce) both fail.
 */
#ifndef FLEETGATE_FG_SIGN_H
#define FLEETGATE_FG_SIGN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writes the 64-char lowercase hex request signature plus NUL into sig_hex. */
int fg_sign_request(const uint8_t key[32], uint32_t nonce, const char *method,
                    const char *path_with_query, const uint8_t *body, size_t body_len,
                    char sig_hex[65]);

/** Raw request MAC (for tests and callers that want bytes). */
int fg_sign_request_mac(const uint8_t key[32], uint32_t nonce, const char *method,
                        const char *path_with_query, const uint8_t *body, size_t body_len,
                        uint8_t mac[32]);

/** Response MAC = HMAC(key, nonce BE4 || body). */
int fg_sign_response_mac(const uint8_t key[32], uint32_t nonce, const uint8_t *body,
                         size_t body_len, uint8_t mac[32]);

/**
 * Verifies the X-Signature of a response (sig_hex NUL-terminated; NULL or "" means missing).
 * @return 0 when it verifies, FG_ERR_AUTH otherwise (constant-time compare).
 */
int fg_sign_response_verify(const uint8_t key[32], uint32_t nonce, const uint8_t *body,
                            size_t body_len, const char *sig_hex);

/**
 * HMAC(key, nonce BE4 || data): the shape of every nonce-bound MAC in the protocol — the upload
 * envelope's (over the base64 payload text) and a response signature (over the body).
 */
int fg_sign_nonce_mac(const uint8_t key[32], uint32_t nonce, const void *data, size_t len,
                      uint8_t mac[32]);

/** nonce as 4 bytes big-endian. */
void fg_sign_nonce_be(uint32_t nonce, uint8_t out[4]);

#ifdef __cplusplus
}
#endif
#endif
