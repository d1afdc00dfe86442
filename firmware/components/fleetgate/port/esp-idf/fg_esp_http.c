#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esp_crt_bundle.h"
#include "esp_http_client.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_esp.h"

/* A header value as sent; "" when it does not fit (a truncated one must not match anything). */
static void prv_copy_header(char *out, size_t cap, const char *value) {
  const size_t n = strlen(value);
  if (n >= cap) {
    out[0] = '\0';
    return;
  }
  memcpy(out, value, n + 1);
}

static esp_err_t prv_on_event(esp_http_client_event_t *evt) {
  fg_http_response_t *resp = (fg_http_response_t *)evt->user_data;
  if (evt->event_id != HTTP_EVENT_ON_HEADER || resp == NULL) {
    return ESP_OK;
  }
  if (strcasecmp(evt->header_key, "X-Signature") == 0 && strlen(evt->header_value) == 64) {
    memcpy(resp->x_signature, evt->header_value, 65);
  } else if (strcasecmp(evt->header_key, "Retry-After") == 0) {
    resp->retry_after_s = (uint32_t)strtoul(evt->header_value, NULL, 10);
  } else if (strcasecmp(evt->header_key, "ETag") == 0) {
    prv_copy_header(resp->etag, sizeof(resp->etag), evt->header_value);
  } else if (strcasecmp(evt->header_key, "Content-Range") == 0) {
    prv_copy_header(resp->content_range, sizeof(resp->content_range), evt->header_value);
  }
  return ESP_OK;
}

static esp_http_client_method_t prv_method(const char *m) {
  if (strcmp(m, "POST") == 0) {
    return HTTP_METHOD_POST;
  }
  if (strcmp(m, "PUT") == 0) {
    return HTTP_METHOD_PUT;
  }
  if (strcmp(m, "DELETE") == 0) {
    return HTTP_METHOD_DELETE;
  }
  return HTTP_METHOD_GET;
}

static int prv_perform(void *ctx, const fg_http_request_t *req, fg_http_response_t *resp) {
  fg_esp_http_ctx_t *c = (fg_esp_http_ctx_t *)ctx;
  resp->status = 0;
  resp->body_len = 0;
  resp->x_signature[0] = '\0';
  resp->retry_after_s = 0;
  resp->etag[0] = '\0';
  resp->content_range[0] = '\0';
  char url[384];
  const int n = snprintf(url, sizeof(url), "%s%s", c->base_url, req->path);
  if (n < 0 || (size_t)n >= sizeof(url)) {
    return FG_ERR_RANGE;
  }
  const esp_http_client_config_t cfg = {
      .url = url,
      .method = prv_method(req->method),
      .timeout_ms = (int)c->timeout_ms,
      .event_handler = prv_on_event,
      .user_data = resp,
      .crt_bundle_attach = strncmp(url, "https://", 8) == 0 ? esp_crt_bundle_attach : NULL,
      .keep_alive_enable = false,
  };
  esp_http_client_handle_t h = esp_http_client_init(&cfg);
  if (h == NULL) {
    return FG_ERR_IO;
  }
  for (size_t i = 0; i < req->n_headers; i++) {
    esp_http_client_set_header(h, req->headers[i].name, req->headers[i].value);
  }
  if (req->content_type != NULL) {
    esp_http_client_set_header(h, "Content-Type", req->content_type);
  }
  int rc = FG_OK;
  if (esp_http_client_open(h, (int)req->body_len) != ESP_OK) {
    rc = FG_ERR_TRANSPORT;
  }
  if (rc == FG_OK && req->body_len > 0 &&
      esp_http_client_write(h, (const char *)req->body, (int)req->body_len) != (int)req->body_len) {
    rc = FG_ERR_TRANSPORT;
  }
  if (rc == FG_OK && esp_http_client_fetch_headers(h) < 0) {
    rc = FG_ERR_TRANSPORT;
  }
  if (rc == FG_OK) {
    resp->status = esp_http_client_get_status_code(h);
    for (;;) {
      uint8_t scratch[64];
      uint8_t *dst = resp->body + resp->body_len;
      size_t room = resp->body_cap - resp->body_len;
      if (room == 0) {
        dst = scratch; /* drain to detect overflow */
        room = sizeof(scratch);
      }
      const int r = esp_http_client_read(h, (char *)dst, (int)room);
      if (r < 0) {
        rc = FG_ERR_TRANSPORT;
        break;
      }
      if (r == 0) {
        break;
      }
      if (dst == scratch) {
        rc = FG_ERR_BUFFER_TOO_SMALL;
        break;
      }
      resp->body_len += (size_t)r;
    }
    if (rc == FG_OK && !esp_http_client_is_complete_data_received(h)) {
      rc = FG_ERR_TRANSPORT;
    }
  }
  esp_http_client_close(h);
  esp_http_client_cleanup(h);
  return rc;
}

int fg_esp_http_init(fg_http_t *http, fg_esp_http_ctx_t *ctx, const char *base_url,
                     uint32_t timeout_ms) {
  if (base_url == NULL || strlen(base_url) >= sizeof(ctx->base_url)) {
    return FG_ERR_INVALID_ARG;
  }
  size_t n = strlen(base_url);
  while (n > 0 && base_url[n - 1] == '/') {
    n--;
  }
  memcpy(ctx->base_url, base_url, n);
  ctx->base_url[n] = '\0';
  ctx->timeout_ms = timeout_ms == 0 ? 15000 : timeout_ms;
  http->perform = prv_perform;
  http->ctx = ctx;
  return FG_OK;
}
