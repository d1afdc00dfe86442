#include "fg_fakehttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_sign.h"

static int prv_perform(void *ctx, const fg_http_request_t *req, fg_http_response_t *resp) {
  fg_fakehttp_t *f = (fg_fakehttp_t *)ctx;
  resp->status = 0;
  resp->body_len = 0;
  resp->x_signature[0] = '\0';
  resp->retry_after_s = 0;
  snprintf(f->last_path, sizeof(f->last_path), "%s", req->path);
  const char *n = fg_fakehttp_header(req, "X-Nonce");
  snprintf(f->last_nonce, sizeof(f->last_nonce), "%s", n ? n : "");
  const char *s = fg_fakehttp_header(req, "X-Signature");
  snprintf(f->last_sig, sizeof(f->last_sig), "%s", s ? s : "");
  f->last_body_len = req->body_len < sizeof(f->last_body) - 1 ? req->body_len : sizeof(f->last_body) - 1;
  if (req->body_len > 0) {
    memcpy(f->last_body, req->body, f->last_body_len);
  }
  f->last_body[f->last_body_len] = '\0';
  if (f->calls < FG_FAKEHTTP_LOG) {
    snprintf(f->nonce_log[f->calls], sizeof(f->nonce_log[0]), "%s", f->last_nonce);
  }
  f->calls++;
  return f->handler(f, req, resp);
}

void fg_fakehttp_init(fg_http_t *http, fg_fakehttp_t *f, fg_fakehttp_handler_t handler, void *user) {
  memset(f, 0, sizeof(*f));
  f->handler = handler;
  f->user = user;
  http->perform = prv_perform;
  http->ctx = f;
}

const char *fg_fakehttp_header(const fg_http_request_t *req, const char *name) {
  for (size_t i = 0; i < req->n_headers; i++) {
    if (strcasecmp(req->headers[i].name, name) == 0) {
      return req->headers[i].value;
    }
  }
  return NULL;
}

uint32_t fg_fakehttp_nonce(const fg_http_request_t *req) {
  const char *n = fg_fakehttp_header(req, "X-Nonce");
  return n ? (uint32_t)strtoul(n, NULL, 10) : 0;
}

void fg_fakehttp_reply(const fg_http_request_t *req, fg_http_response_t *resp, int status,
                       const char *body, const uint8_t key[32]) {
  const size_t n = strlen(body);
  resp->status = status;
  if (n <= resp->body_cap) {
    memcpy(resp->body, body, n);
  }
  resp->body_len = n;
  if (key != NULL) {
    uint32_t nonce = fg_fakehttp_nonce(req);
    if (nonce == 0 && req->body_len > 0) {
      /* an upload: the nonce is in the envelope */
      const char *p = strstr((const char *)req->body, "\"nonce\":");
      if (p != NULL) {
        nonce = (uint32_t)strtoul(p + 8, NULL, 10);
      }
    }
    uint8_t mac[32];
    fg_sign_response_mac(key, nonce, (const uint8_t *)body, n, mac);
    fg_hex_encode(mac, 32, resp->x_signature, sizeof(resp->x_signature));
  }
}
