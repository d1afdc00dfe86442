/**
 * @file fg_http.h
 * @brief Port interface: one HTTP/1.1 exchange with the gateway.
 *
 * The port owns the base URL (scheme, host, port, and TLS on the device); the core passes a
 * path-with-query such as "/aggregated/meter-1". The response body goes into a caller-provided
 * buffer: a body larger than body_cap fails with FG_ERR_BUFFER_TOO_SMALL (the port drains or
 * closes the connection). A non-2xx status is NOT a port error: the port returns 0 and sets
 * status; the core decides.
 */
#ifndef FLEETGATE_PLATFORM_FG_HTTP_H
#define FLEETGATE_PLATFORM_FG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const char *name;
  const char *value;
} fg_http_header_t;

typedef struct {
  const char *method;          /**< "GET", "POST", ... */
  const char *path;            /**< path with query, starting with '/' */
  const fg_http_header_t *headers;
  size_t n_headers;
  const char *content_type;    /**< NULL for no body */
  const uint8_t *body;
  size_t body_len;
} fg_http_request_t;

typedef struct {
  int status;
  uint8_t *body;               /**< caller-provided */
  size_t body_cap;
  size_t body_len;
  /** Response X-Signature header (64 lowercase hex + NUL); "" when absent or malformed. */
  char x_signature[65];
  /** Retry-After in seconds, 0 when absent. */
  uint32_t retry_after_s;
  /** ETag and Content-Range headers as sent ("" when absent or too long): a streamed download's
   *  X-Signature covers them instead of the body (server/ota/SPEC.md §10). */
  char etag[72];
  char content_range[64];
} fg_http_response_t;

typedef struct fg_http {
  /** Performs one exchange. 0 when a response was received (any status), FG_ERR_TRANSPORT or
   *  FG_ERR_BUFFER_TOO_SMALL otherwise. */
  int (*perform)(void *ctx, const fg_http_request_t *req, fg_http_response_t *resp);
  void *ctx;
} fg_http_t;

#ifdef __cplusplus
}
#endif
#endif
