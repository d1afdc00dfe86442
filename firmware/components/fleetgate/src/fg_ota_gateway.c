#include "fleetgate/fg_ota_gateway.h"

#include <stdio.h>
#include <string.h>

#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_json.h"

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

static int prv_req(fg_ota_gateway_t *gw, const char *method, const char *path, const char *body) {
  fg_client_result_t res;
  const int rc = fg_client_request(gw->client, method, path, (const uint8_t *)body,
                                   body != NULL ? strlen(body) : 0, &res);
  gw->last_status = (uint32_t)res.status;
  snprintf(gw->last_error, sizeof(gw->last_error), "%s", res.error_code);
  return rc < 0 ? rc : (int)res.body_len;
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

static int prv_initiate(void *ctx, const char *version, char *buf, size_t cap, size_t *len) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char path[128];
  char body[128];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_INITIATE_FMT, gw->client->device_id);
  fg_jsonw_t w;
  fg_jsonw_init(&w, body, sizeof(body));
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "firmware_version");
  fg_jsonw_str(&w, version);
  fg_jsonw_obj_end(&w);
  const int blen = fg_jsonw_finish(&w);
  if (blen < 0) {
    return blen;
  }
  const int n = prv_req(gw, "POST", path, body);
  if (n < 0) {
    return n;
  }
  /* the manifest is the answer's "manifest" member, or the answer itself */
  const char *text = (const char *)gw->client->rx;
  size_t start = 0;
  size_t end = (size_t)n;
  const char *key = strstr(text, "\"manifest\"");
  if (key != NULL) {
    const char *open = strchr(key + 10, '{');
    if (open == NULL) {
      return FG_ERR_FORMAT;
    }
    /* find the matching brace (strings may contain braces) */
    int depth = 0;
    bool in_str = false;
    size_t i = (size_t)(open - text);
    for (; i < (size_t)n; i++) {
      const char ch = text[i];
      if (in_str) {
        if (ch == '\\') {
          i++;
        } else if (ch == '"') {
          in_str = false;
        }
      } else if (ch == '"') {
        in_str = true;
      } else if (ch == '{') {
        depth++;
      } else if (ch == '}' && --depth == 0) {
        break;
      }
    }
    if (i >= (size_t)n) {
      return FG_ERR_FORMAT;
    }
    start = (size_t)(open - text);
    end = i + 1;
  }
  if (end - start > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, text + start, end - start);
  *len = end - start;
  return FG_OK;
}

static int prv_chunk(void *ctx, const char *version, uint32_t n, uint8_t *buf, size_t cap,
                     size_t *len) {
  fg_ota_gateway_t *gw = (fg_ota_gateway_t *)ctx;
  char esc[PRV_VERSION_ESC_MAX];
  if (prv_query_escape(version, esc, sizeof(esc)) != 0) {
    return FG_ERR_INVALID_ARG;
  }
  char path[FG_DEVICE_ID_MAX + PRV_VERSION_ESC_MAX + 64];
  snprintf(path, sizeof(path), FG_ROUTE_OTA_CHUNK_FMT, gw->client->device_id, esc,
           (unsigned long)n);
  const int got = prv_req(gw, "GET", path, NULL);
  if (got < 0) {
    return got;
  }
  const char *text = (const char *)gw->client->rx;
  if (got > 0 && text[0] == '{') {
    fg_json_tok_t toks[PRV_TOKS];
    fg_json_doc_t doc;
    if (fg_json_parse(&doc, text, (size_t)got, toks, PRV_TOKS) <= 0) {
      return FG_ERR_FORMAT;
    }
    uint32_t index = 0;
    if (fg_json_obj_u32(&doc, 0, "chunk_index", &index) == 0 && index != n) {
      return FG_ERR_MISMATCH; /* an answer about another chunk */
    }
    int t = fg_json_obj_get(&doc, 0, "data");
    if (t < 0) {
      t = fg_json_obj_get(&doc, 0, "chunk_data");
    }
    const char *b64;
    size_t b64_len;
    if (t < 0 || fg_json_str_raw(&doc, t, &b64, &b64_len) != 0) {
      return FG_ERR_FORMAT;
    }
    const int dn = fg_base64_decode(b64, b64_len, buf, cap);
    if (dn < 0) {
      return dn == FG_ERR_BUFFER_TOO_SMALL ? dn : FG_ERR_FORMAT;
    }
    *len = (size_t)dn;
    return FG_OK;
  }
  if ((size_t)got > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, text, (size_t)got);
  *len = (size_t)got;
  return FG_OK;
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
  src->initiate = prv_initiate;
  src->chunk = prv_chunk;
  src->report = prv_report;
  src->ctx = gw;
}
