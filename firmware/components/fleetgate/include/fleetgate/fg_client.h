/**
 * @file fg_client.h
 * @brief The device's side of the gateway protocol: signed requests with verified answers and
 *        signed telemetry uploads, on top of the HTTP port and the nonce manager.
 *
 * Every exchange takes a fresh nonce, signs, sends, and verifies the response's X-Signature
 * (HMAC over request nonce || body) before anything in the body is believed. An answer that does
 * not verify is FG_ERR_AUTH, whatever its status. Transport errors and 5xx answers are retried
 * with the *identical* bytes (same nonce and signature): the gateway gives a 5xx's nonce back and
 * answers an exact retransmission of its last message with the stored reply, so a retry never
 * has a second effect and never burns a nonce.
 *
 * No heap: the caller provides the response buffer (and the envelope buffer for uploads).
 */
#ifndef FLEETGATE_FG_CLIENT_H
#define FLEETGATE_FG_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_nonce.h"
#include "fleetgate/platform/fg_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_DEVICE_ID_MAX 64

typedef struct {
  const fg_platform_t *plat;
  char device_id[FG_DEVICE_ID_MAX + 1];
  uint8_t key[32];
  fg_nonce_t *nonce;
  uint8_t *rx;          /**< response buffer */
  size_t rx_cap;
  uint8_t max_attempts; /**< per exchange, >= 1 (default 3) */
  uint32_t backoff_ms;  /**< first retry delay, doubled each time (default 500) */
} fg_client_t;

typedef struct {
  int status;           /**< HTTP status of the final attempt (0 if none) */
  uint32_t nonce;       /**< nonce used */
  size_t body_len;      /**< response body in client->rx (NUL-terminated for convenience) */
  bool verified;        /**< the response signature verified */
  uint8_t attempts;
  /** For {"success":false,"error":{"code":...}} answers: the code ("" otherwise). Only
   *  meaningful when verified; an unsigned error's code is reported but not acted on. */
  char error_code[48];
  /* upload answers */
  uint32_t samples;
  bool duplicate;
} fg_client_result_t;

/** A device id is 1-64 chars of [A-Za-z0-9_.-], not only dots (the gateway's rule). */
bool fg_client_device_id_valid(const char *id);

int fg_client_init(fg_client_t *c, const fg_platform_t *plat, const char *device_id,
                   const uint8_t key[32], fg_nonce_t *nonce, uint8_t *rx, size_t rx_cap);

/**
 * One signed request. On success (2xx, verified) returns 0 and the body is in c->rx.
 * @return FG_ERR_AUTH (answer not authentic), FG_ERR_HTTP_STATUS (verified or unsigned non-2xx;
 *         see res->status, res->verified, res->error_code), FG_ERR_TRANSPORT, or another error.
 */
int fg_client_request(fg_client_t *c, const char *method, const char *path, const uint8_t *body,
                      size_t body_len, fg_client_result_t *res);

/**
 * A signed GET of one byte range of a streamed download (server/ota/SPEC.md §10), into buf:
 * sends "Range: bytes=<first>-<last>" and accepts only a 206 whose ETag is expected_etag, whose
 * Content-Range is "bytes <first>-<last>/<total>", whose body has exactly that length, and whose
 * X-Signature is HMAC(key, nonce BE4 || ETag " " Content-Range) — so the answer is fresh and about
 * the image and bytes asked for; the bytes themselves are checked by the caller (chunk hash).
 * One attempt, no retransmission (a streamed answer is not stored by the gateway): the caller
 * retries with a fresh request. Other statuses: FG_ERR_HTTP_STATUS when signed over their body
 * (res->error_code), else FG_ERR_AUTH.
 */
int fg_client_get_range(fg_client_t *c, const char *path, uint32_t first, uint32_t last,
                        uint32_t total, const char *expected_etag, uint8_t *buf, size_t cap,
                        size_t *len, fg_client_result_t *res);

/**
 * POST /aggregated/<device_id> with payload_json (a UTF-8 JSON document) wrapped in the signed
 * envelope, built in env_buf (see FG_ENVELOPE_MAX_LEN). res->samples / res->duplicate are filled
 * from {"success":true,"samples":n[,"duplicate":true]}. The answer must carry a valid
 * X-Signature like every other answer (the gateway signs every answer to an identified device,
 * upload answers and replay rejections included); an unsigned 2xx is FG_ERR_AUTH.
 */
int fg_client_upload(fg_client_t *c, const uint8_t *payload_json, size_t payload_len,
                     char *env_buf, size_t env_cap, fg_client_result_t *res);

#ifdef __cplusplus
}
#endif
#endif
