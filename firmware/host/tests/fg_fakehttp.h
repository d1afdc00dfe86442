/* A scripted HTTP port for client/OTA tests: a handler callback plays the gateway. */
#ifndef FG_FAKEHTTP_H
#define FG_FAKEHTTP_H

#include "fleetgate/platform/fg_http.h"

#define FG_FAKEHTTP_LOG 64

typedef struct fg_fakehttp fg_fakehttp_t;

/** Fills resp (status, body, x_signature); return non-zero to simulate a transport error. */
typedef int (*fg_fakehttp_handler_t)(fg_fakehttp_t *f, const fg_http_request_t *req,
                                     fg_http_response_t *resp);

struct fg_fakehttp {
  fg_fakehttp_handler_t handler;
  void *user;
  unsigned calls;
  /* copies of the last requests, for assertions */
  char last_path[256];
  char last_nonce[16];
  char last_sig[65];
  char last_body[4096];
  size_t last_body_len;
  char nonce_log[FG_FAKEHTTP_LOG][16];
};

void fg_fakehttp_init(fg_http_t *http, fg_fakehttp_t *f, fg_fakehttp_handler_t handler, void *user);
/** Helper for handlers: copies body into resp and signs it with key for the request's nonce. */
void fg_fakehttp_reply(const fg_http_request_t *req, fg_http_response_t *resp, int status,
                       const char *body, const uint8_t key[32]);
/** The request's X-Nonce value (0 if absent). */
uint32_t fg_fakehttp_nonce(const fg_http_request_t *req);
const char *fg_fakehttp_header(const fg_http_request_t *req, const char *name);

#endif
