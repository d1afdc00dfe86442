#include "esp_err.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_esp.h"
#include "nvs.h"

static int prv_map(esp_err_t e) {
  if (e == ESP_OK) {
    return FG_OK;
  }
  if (e == ESP_ERR_NVS_NOT_FOUND) {
    return FG_ERR_NOT_FOUND;
  }
  if (e == ESP_ERR_NVS_INVALID_LENGTH) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  return FG_ERR_FROM_PORT(e);
}

static int prv_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len) {
  fg_esp_kv_ctx_t *c = (fg_esp_kv_ctx_t *)ctx;
  size_t need = 0;
  esp_err_t e = nvs_get_blob((nvs_handle_t)c->handle, key, NULL, &need);
  if (e != ESP_OK) {
    return prv_map(e);
  }
  *len = need;
  if (need > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  size_t got = cap;
  e = nvs_get_blob((nvs_handle_t)c->handle, key, buf, &got);
  *len = got;
  return prv_map(e);
}

static int prv_set(void *ctx, const char *key, const void *data, size_t len) {
  fg_esp_kv_ctx_t *c = (fg_esp_kv_ctx_t *)ctx;
  esp_err_t e = nvs_set_blob((nvs_handle_t)c->handle, key, data, len);
  if (e == ESP_OK) {
    e = nvs_commit((nvs_handle_t)c->handle);
  }
  return prv_map(e);
}

static int prv_erase(void *ctx, const char *key) {
  fg_esp_kv_ctx_t *c = (fg_esp_kv_ctx_t *)ctx;
  esp_err_t e = nvs_erase_key((nvs_handle_t)c->handle, key);
  if (e == ESP_ERR_NVS_NOT_FOUND) {
    return FG_OK;
  }
  if (e == ESP_OK) {
    e = nvs_commit((nvs_handle_t)c->handle);
  }
  return prv_map(e);
}

int fg_esp_kv_init(fg_kv_t *kv, fg_esp_kv_ctx_t *ctx) {
  nvs_handle_t h;
  const esp_err_t e = nvs_open(FG_ESP_NVS_NAMESPACE, NVS_READWRITE, &h);
  if (e != ESP_OK) {
    return prv_map(e);
  }
  ctx->handle = (uint32_t)h;
  kv->get = prv_get;
  kv->set = prv_set;
  kv->erase = prv_erase;
  kv->ctx = ctx;
  return FG_OK;
}
