#include "fleetgate/fg_client.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_envelope.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_sign.h"

#define PRV_ERR_TOKENS 24

bool fg_client_device_id_valid(const char *id) {
  if (id == NULL) {
    return false;
  }
  const size_t n = strlen(id);
  if (n == 0 || n > FG_DEVICE_ID_MAX) {
    return false;
  }
  bool only_dots = true;
  for (size_t i = 0; i < n; i++) {
    const char ch = id[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_' || ch == '.' || ch == '-')) {
      return false;
    }
    if (ch != '.') {
      only_dots = false;
    }
  }
  return !only_dots;
}

int fg_client_init(fg_client_t *c, const fg_platform_t *plat, const char *device_id,
                   const uint8_t key[32], fg_nonce_t *nonce, uint8_t *rx, size_t rx_cap) {
  if (c == NULL || plat == NULL || plat->http == NULL || key == NULL || nonce == NULL ||
      rx == NULL || rx_cap < 2 || !fg_client_device_id_valid(device_id)) {
    return FG_ERR_INVALID_ARG;
  }
  memset(c, 0, sizeof(*c));
  c->plat = plat;
  memcpy(c->device_id, device_id, strlen(device_id) + 1);
  memcpy(c->key, key, sizeof(c->key));
  c->nonce = nonce;
  c->rx = rx;
  c->rx_cap = rx_cap;
  c->max_attempts = 3;
  c->backoff_ms = 500;
  return FG_OK;
}

static void prv_error_code(const uint8_t *body, fg_client_result_t *res) {
  res->error_code[0] = '\0';
  fg_json_tok_t toks[PRV_ERR_TOKENS];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, (const char *)body, res->body_len, toks, PRV_ERR_TOKENS) <= 0 ||
      toks[0].type != FG_JSON_OBJECT) {
    return;
  }
  const int err = fg_json_obj_get(&doc, 0, "error");
  if (err > 0 && toks[err].type == FG_JSON_OBJECT) {
    (void)fg_json_obj_str(&doc, err, "code", res->error_code, sizeof(res->error_code));
  }
}

static void prv_backoff(const fg_client_t *c, uint8_t attempt, uint32_t retry_after_s) {
  if (c->plat->clock == NULL || c->plat->clock->sleep_ms == NULL) {
    return;
  }
  uint32_t ms = c->backoff_ms << (attempt > 8 ? 8 : attempt);
  if (retry_after_s > 0 && retry_after_s < 600) {
    ms = retry_after_s * 1000u;
  }
  if (c->plat->random != NULL && c->plat->random->fill != NULL && ms > 0) {
    uint8_t r = 0;
    if (c->plat->random->fill(c->plat->random->ctx, &r, 1) == 0) {
      ms += (ms / 4u) * r / 255u; /* up to +25% jitter so a fleet does not retry in step */
    }
  }
  c->plat->clock->sleep_ms(c->plat->clock->ctx, ms);
}

/* Sends the prepared request (identical bytes on every attempt) and verifies the answer. */
static int prv_exchange(fg_client_t *c, const fg_http_request_t *req, uint32_t nonce,
                        fg_client_result_t *res) {
  const uint8_t attempts = c->max_attempts == 0 ? 1 : c->max_attempts;
  int rc = FG_ERR_TRANSPORT;
  fg_http_response_t resp;
  for (uint8_t a = 0; a < attempts; a++) {
    if (a > 0) {
      prv_backoff(c, (uint8_t)(a - 1), resp.retry_after_s);
    }
    memset(&resp, 0, sizeof(resp));
    resp.body = c->rx;
    resp.body_cap = c->rx_cap - 1; /* room for a NUL */
    res->attempts = (uint8_t)(a + 1);
    rc = c->plat->http->perform(c->plat->http->ctx, req, &resp);
    res->status = resp.status;
    res->body_len = resp.body_len;
    if (rc == FG_ERR_TRANSPORT || (rc == 0 && resp.status >= 500)) {
      continue; /* the gateway has not kept this nonce: resend the same bytes */
    }
    break;
  }
  if (rc != 0) {
    res->body_len = 0;
    c->rx[0] = '\0';
    return rc;
  }
  c->rx[resp.body_len] = '\0';
  res->verified =
      fg_sign_response_verify(c->key, nonce, c->rx, resp.body_len, resp.x_signature) == FG_OK;
  if (resp.status < 200 || resp.status > 299) {
    prv_error_code(c->rx, res);
    if (resp.x_signature[0] != '\0' && !res->verified) {
      return FG_ERR_AUTH; /* a signature that is present and wrong: injected or replayed */
    }
    return FG_ERR_HTTP_STATUS;
  }
  if (!res->verified) {
    return FG_ERR_AUTH;
  }
  return FG_OK;
}

/* A fresh nonce and the request's signature, as header values (X-Nonce, X-Signature). */
static int prv_sign(fg_client_t *c, const char *method, const char *path, const uint8_t *body,
                    size_t body_len, fg_client_result_t *res, char nonce_txt[11], char sig[65]) {
  memset(res, 0, sizeof(*res));
  uint32_t nonce = 0;
  int rc = fg_nonce_next(c->nonce, &nonce);
  if (rc != 0) {
    return rc;
  }
  res->nonce = nonce;
  (void)snprintf(nonce_txt, 11, "%lu", (unsigned long)nonce);
  return fg_sign_request(c->key, nonce, method, path, body, body_len, sig);
}

int fg_client_request(fg_client_t *c, const char *method, const char *path, const uint8_t *body,
                      size_t body_len, fg_client_result_t *res) {
  if (c == NULL || method == NULL || path == NULL || path[0] != '/' || res == NULL ||
      (body == NULL && body_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  char nonce_txt[11];
  char sig[65];
  const int rc = prv_sign(c, method, path, body, body_len, res, nonce_txt, sig);
  if (rc != 0) {
    return rc;
  }
  const fg_http_header_t headers[] = {
      {"X-Device-Id", c->device_id},
      {"X-Nonce", nonce_txt},
      {"X-Signature", sig},
  };
  const fg_http_request_t req = {
      .method = method,
      .path = path,
      .headers = headers,
      .n_headers = sizeof(headers) / sizeof(headers[0]),
      .content_type = body_len > 0 ? "application/json" : NULL,
      .body = body,
      .body_len = body_len,
  };
  return prv_exchange(c, &req, res->nonce, res);
}

int fg_client_get_range(fg_client_t *c, const char *path, uint32_t first, uint32_t last,
                        uint32_t total, const char *expected_etag, uint8_t *buf, size_t cap,
                        size_t *len, fg_client_result_t *res) {
  if (c == NULL || path == NULL || path[0] != '/' || expected_etag == NULL || buf == NULL ||
      len == NULL || res == NULL || last < first || last >= total) {
    return FG_ERR_INVALID_ARG;
  }
  *len = 0;
  char nonce_txt[11];
  char sig[65];
  int rc = prv_sign(c, "GET", path, NULL, 0, res, nonce_txt, sig);
  if (rc != 0) {
    return rc;
  }
  const uint32_t nonce = res->nonce;
  char range[40];
  char expect_range[48];
  (void)snprintf(range, sizeof(range), "bytes=%lu-%lu", (unsigned long)first, (unsigned long)last);
  (void)snprintf(expect_range, sizeof(expect_range), "bytes %lu-%lu/%lu", (unsigned long)first,
                 (unsigned long)last, (unsigned long)total);
  const fg_http_header_t headers[] = {
      {"X-Device-Id", c->device_id}, {"X-Nonce", nonce_txt}, {"X-Signature", sig}, {"Range", range}};
  const fg_http_request_t req = {.method = "GET", .path = path, .headers = headers,
                                 .n_headers = sizeof(headers) / sizeof(headers[0])};
  fg_http_response_t resp;
  memset(&resp, 0, sizeof(resp));
  resp.body = buf;
  resp.body_cap = cap;
  res->attempts = 1;
  rc = c->plat->http->perform(c->plat->http->ctx, &req, &resp);
  res->status = resp.status;
  res->body_len = resp.body_len;
  if (rc != 0) {
    return rc;
  }
  if (resp.status != 206) {
    /* errors are ordinary answers signed over their body */
    res->verified = fg_sign_response_verify(c->key, nonce, buf, resp.body_len, resp.x_signature) == 0;
    if (res->verified) {
      prv_error_code(buf, res);
    }
    return res->verified ? FG_ERR_HTTP_STATUS : FG_ERR_AUTH;
  }
  char binding[sizeof(resp.etag) + 1 + sizeof(resp.content_range)];
  (void)snprintf(binding, sizeof(binding), "%s %s", resp.etag, resp.content_range);
  uint8_t mac[32];
  rc = fg_sign_nonce_mac(c->key, nonce, binding, strlen(binding), mac);
  if (rc != 0) {
    return rc;
  }
  res->verified = fg_ct_equal_hex(resp.x_signature, strlen(resp.x_signature), mac);
  if (!res->verified) {
    return FG_ERR_AUTH;
  }
  /* authentic and fresh; now it must be about the image and the bytes asked for */
  if (strcmp(resp.etag, expected_etag) != 0 || strcmp(resp.content_range, expect_range) != 0 ||
      resp.body_len != (size_t)(last - first) + 1u) {
    return FG_ERR_MISMATCH;
  }
  *len = resp.body_len;
  return FG_OK;
}

int fg_client_upload(fg_client_t *c, const uint8_t *payload_json, size_t payload_len,
                     char *env_buf, size_t env_cap, fg_client_result_t *res) {
  if (c == NULL || payload_json == NULL || payload_len == 0 || env_buf == NULL || res == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(res, 0, sizeof(*res));
  char path[16 + FG_DEVICE_ID_MAX];
  (void)snprintf(path, sizeof(path), "/aggregated/%s", c->device_id);
  uint32_t nonce = 0;
  int rc = fg_nonce_next(c->nonce, &nonce);
  if (rc != 0) {
    return rc;
  }
  res->nonce = nonce;
  const int n = fg_envelope_build(c->device_id, c->key, nonce, payload_json, payload_len, env_buf,
                                  env_cap);
  if (n < 0) {
    return n;
  }
  const fg_http_request_t req = {
      .method = "POST",
      .path = path,
      .content_type = "application/json",
      .body = (const uint8_t *)env_buf,
      .body_len = (size_t)n,
  };
  rc = prv_exchange(c, &req, nonce, res);
  if (rc != 0) {
    return rc;
  }
  fg_json_tok_t toks[PRV_ERR_TOKENS];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, (const char *)c->rx, res->body_len, toks, PRV_ERR_TOKENS) <= 0 ||
      toks[0].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  bool ok = false;
  if (fg_json_obj_bool(&doc, 0, "success", &ok) != 0 || !ok) {
    return FG_ERR_FORMAT;
  }
  (void)fg_json_obj_u32(&doc, 0, "samples", &res->samples);
  (void)fg_json_obj_bool(&doc, 0, "duplicate", &res->duplicate);
  return FG_OK;
}
