#include "fleetgate/fg_ota_gateway.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_json.h"
#include "fleetgate/fg_limits.h"

#define PRV_TOKS 48
#define PRV_VERSION_ESC_MAX (3 * 64 + 1)

/* Percent-encodes a query value (everything but RFC 3986 unreserved characters), so a SemVer
 * "+build" is not read as a space. Returns 0 or FG_ERR_BUFFER_TOO_SMALL. */
static int prv_query_escape(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const char *p = in; *p != '\0'; p++) {
    const unsigned char ch = (unsigned char)*p;
    const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
    if (o + (plain ? 1u : 3u) >= cap) {
      return FG_ERR_BUFFER_TOO_SMALL;
    }
    if (plain) {
      out[o++] = (char)ch;
    } else {
      out[o++] = '%';
      out[o++] = hex[ch >> 4];
      out[o++] = hex[ch & 0x0F];
    }
  }
  out[o] = '\0';
  return FG_OK;
}

static void prv_note(fg_ota_gateway_t *gw, const fg_client_result_t *res) {
  gw->last_status = (uint32_t)res->status;
  snprintf(gw->last_error, sizeof(gw->last_error), "%s", res->error_code);
}

/* A refusal that ends the download for good (fg_limits.h FG_LIMIT_OTA_REFUSAL_*: 410 yanked,
 * 409 not_assigned) as FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED — only when the answer's signature
 * verified and status and code agree. On plain HTTP an unsigned or wrongly signed refusal is a
 * forgery: it stays the error the client returned (FG_ERR_HTTP_STATUS unverified, FG_ERR_AUTH),
 * which the OTA machine retries like a transport error, so nobody on the path can cancel an
 * update for good. */
static int prv_refusal(int rc, const fg_client_result_t *res) {
  if (rc != FG_ERR_HTTP_STATUS || !res->verified) {
    return rc;
  }
  if (res->status == FG_LIMIT_OTA_REFUSAL_YANKED_STATUS &&
      strcmp(res->error_code, FG_LIMIT_OTA_REFUSAL_YANKED) == 0) {
    return FG_ERR_YANKED;
  }
  if (res->status == FG_LIMIT_OTA_REFUSAL_NOT_ASSIGNED_STATUS &&
      strcmp(res->error_code, FG_LIMIT_OTA_REFUSAL_NOT_ASSIGNED) == 0) {
    return FG_ERR_NOT_ASSIGNED;
  }
  return rc;
}

static int prv_req(fg_ota_gateway_t *gw, const char *method, const char *path, const char *body) {
  fg_client_result_t res;
  const int rc = fg_client_request(gw->client, method, path, (const uint8_t *)body,
                                   body != NULL ? strlen(body) : 0, &res);
  prv_note(gw, &res);
  return rc < 0 ? rc : (int)res.body_len;
}

/* A signed GET whose answer lands in buf: the client, with buf as its receive buffer (the
 * client keeps one byte for a NUL after the body). */
static int prv_get_into(fg_ota_gateway_t *gw, const char *path, uint8_t *buf, size_t cap,
                        size_t *len) {
  if (cap < 2) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  fg_client_t into = *gw->client; /* same key, device id and nonce counter (a pointer) */
  into.rx = buf;
  into.rx_cap = cap;
  fg_client_result_t res;
  const int rc = fg_client_request(&into, "GET", path, NULL, 0, &res);
  prv_note(gw, &res);
  *len = res.body_len;
  return prv_refusal(rc, &res);
}

static int prv_check(void *ctx, const char *current, char *version, size_t cap) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char esc[PRV_VERSION_ESC_MAX];
  if (prv_query_escape(current, esc, sizeof(esc)) != 0) {
    return FG_ERR_INVALID_ARG;
  }
  char path[FG_DEVICE_ID_MAX + PRV_VERSION_ESC_MAX + 64];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_CHECK_FMT, gw->client->device_id, esc,
           (unsigned long)gw->security_counter);
  const int n = prv_req(gw, "GET", path, NULL);
  if (n < 0) {
    return n;
  }
  fg_json_tok_t toks[PRV_TOKS];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, (const char *)gw->client->rx, (size_t)n, toks, PRV_TOKS) <= 0 ||
      toks[0].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  bool available = false;
  version[0] = '\0';
  if (fg_json_obj_bool(&doc, 0, "update_available", &available) != 0) {
    return FG_ERR_FORMAT;
  }
  if (!available) {
    return FG_OK;
  }
  int rc = fg_json_obj_str(&doc, 0, "version", version, cap);
  if (rc < 0) {
    rc = fg_json_obj_str(&doc, 0, "latest_version", version, cap);
  }
  return rc < 1 ? FG_ERR_FORMAT : FG_OK;
}

static int prv_manifest(void *ctx, const char *version, char *buf, size_t cap, size_t *len) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char esc[PRV_VERSION_ESC_MAX];
  if (prv_query_escape(version, esc, sizeof(esc)) != 0) {
    return FG_ERR_INVALID_ARG;
  }
  char path[PRV_VERSION_ESC_MAX + 32];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_MANIFEST_FMT, esc);
  /* the answer is the manifest itself: no member to cut out of a larger document */
  return prv_get_into(gw, path, (uint8_t *)buf, cap, len);
}

static int prv_hash_page(void *ctx, const char *version, uint32_t page, uint8_t *buf, size_t cap,
                         size_t *len) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char esc[PRV_VERSION_ESC_MAX];
  if (prv_query_escape(version, esc, sizeof(esc)) != 0) {
    return FG_ERR_INVALID_ARG;
  }
  char path[PRV_VERSION_ESC_MAX + 48];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_HASHES_FMT, esc, (unsigned long)page);
  return prv_get_into(gw, path, buf, cap, len);
}

static int prv_chunk(void *ctx, const char *version, const fg_ota_range_t *range, uint8_t *buf,
                     size_t cap, size_t *len) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char esc[PRV_VERSION_ESC_MAX];
  if (prv_query_escape(version, esc, sizeof(esc)) != 0 || range->length == 0) {
    return FG_ERR_INVALID_ARG;
  }
  char path[PRV_VERSION_ESC_MAX + 32];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_FIRMWARE_FMT, esc);
  char etag[67];
  etag[0] = '"';
  (void)fg_hex_encode(range->root, 32, etag + 1, 65);
  etag[65] = '"';
  etag[66] = '\0';
  fg_client_result_t res;
  const int rc = fg_client_get_range(gw->client, path, range->offset,
                                     range->offset + range->length - 1u, range->total, etag, buf,
                                     cap, len, &res);
  prv_note(gw, &res);
  return prv_refusal(rc, &res);
}

static int prv_report(void *ctx, const char *version, bool ok, const char *check,
                      const char *detail) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char path[128];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_COMPLETE_FMT, gw->client->device_id);
  char error[160] = "";
  if (!ok) {
    snprintf(error, sizeof(error), "%s%s%s", check != NULL ? check : "",
             detail != NULL && detail[0] != '\0' ? ": " : "", detail != NULL ? detail : "");
  }
  char body[256];
  fg_jsonw_t w;
  fg_jsonw_init(&w, body, sizeof(body));
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "success");
  fg_jsonw_bool(&w, ok);
  fg_jsonw_key(&w, "version");
  fg_jsonw_str(&w, version);
  if (!ok) {
    fg_jsonw_key(&w, "error"); /* "<SPEC check>: <detail>", e.g. "chunk_hash: ... at chunk 3" */
    fg_jsonw_str(&w, error);
  }
  fg_jsonw_obj_end(&w);
  const int rc = fg_jsonw_finish(&w);
  if (rc < 0) {
    return rc;
  }
  const int n = prv_req(gw, "POST", path, body);
  return n < 0 ? n : FG_OK;
}

void fg_ota_gateway_init(fg_ota_source_t *src, fg_ota_gateway_t *gw, fg_client_t *client) {
  memset(gw, 0, sizeof(*gw));
  gw->client = client;
  src->check = prv_check;
  src->manifest = prv_manifest;
  src->hash_page = prv_hash_page;
  src->chunk = prv_chunk;
  src->report = prv_report;
  src->ctx = gw;
}
