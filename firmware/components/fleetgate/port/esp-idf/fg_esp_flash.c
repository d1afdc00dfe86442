#include <string.h>

#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_esp.h"

#define PRV_SECTOR 4096u

static const esp_partition_t *prv_part(const fg_esp_flash_ctx_t *c) {
  return (const esp_partition_t *)c->partition;
}

static int prv_begin(void *ctx, size_t image_size, size_t resume_offset) {
  fg_esp_flash_ctx_t *c = (fg_esp_flash_ctx_t *)ctx;
  const esp_partition_t *running = esp_ota_get_running_partition();
  esp_ota_img_states_t state;
  if (esp_ota_get_state_partition(running, &state) == ESP_OK &&
      state == ESP_OTA_IMG_PENDING_VERIFY) {
    return FG_ERR_STATE; /* confirm the running image before replacing the other slot */
  }
  const esp_partition_t *p = esp_ota_get_next_update_partition(NULL);
  if (p == NULL) {
    return FG_ERR_UNSUPPORTED;
  }
  if (image_size == 0 || image_size > p->size || resume_offset > image_size) {
    return FG_ERR_RANGE;
  }
  c->partition = p;
  c->image_size = image_size;
  /* sectors wholly before the resume point hold verified data; the sector that contains it
   * was erased in the interrupted session and is only rewritten with identical bytes */
  c->erased_upto = (resume_offset + PRV_SECTOR - 1) / PRV_SECTOR * PRV_SECTOR;
  return FG_OK;
}

static int prv_write(void *ctx, size_t offset, const uint8_t *data, size_t len) {
  fg_esp_flash_ctx_t *c = (fg_esp_flash_ctx_t *)ctx;
  if (c->partition == NULL) {
    return FG_ERR_STATE;
  }
  if (offset + len > c->image_size) {
    return FG_ERR_RANGE;
  }
  const size_t end = offset + len;
  if (end > c->erased_upto) {
    const size_t from = c->erased_upto;
    const size_t to = (end + PRV_SECTOR - 1) / PRV_SECTOR * PRV_SECTOR;
    const esp_err_t e = esp_partition_erase_range(prv_part(c), from, to - from);
    if (e != ESP_OK) {
      return FG_ERR_FROM_PORT(e);
    }
    c->erased_upto = to;
  }
  const esp_err_t e = esp_partition_write(prv_part(c), offset, data, len);
  return e == ESP_OK ? FG_OK : FG_ERR_FROM_PORT(e);
}

static int prv_read(void *ctx, size_t offset, uint8_t *data, size_t len) {
  fg_esp_flash_ctx_t *c = (fg_esp_flash_ctx_t *)ctx;
  if (c->partition == NULL) {
    return FG_ERR_STATE;
  }
  const esp_err_t e = esp_partition_read(prv_part(c), offset, data, len);
  return e == ESP_OK ? FG_OK : FG_ERR_FROM_PORT(e);
}

static int prv_finish(void *ctx, size_t image_size) {
  fg_esp_flash_ctx_t *c = (fg_esp_flash_ctx_t *)ctx;
  if (c->partition == NULL || image_size != c->image_size) {
    return FG_ERR_STATE;
  }
  /* validates the app image (esp_image_verify) and marks it ESP_OTA_IMG_NEW in otadata */
  const esp_err_t e = esp_ota_set_boot_partition(prv_part(c));
  return e == ESP_OK ? FG_OK : FG_ERR_FROM_PORT(e);
}

static int prv_abort(void *ctx) {
  fg_esp_flash_ctx_t *c = (fg_esp_flash_ctx_t *)ctx;
  c->partition = NULL;
  return FG_OK;
}

static int prv_confirm(void *ctx) {
  (void)ctx;
  const esp_partition_t *running = esp_ota_get_running_partition();
  esp_ota_img_states_t state;
  if (esp_ota_get_state_partition(running, &state) != ESP_OK ||
      state != ESP_OTA_IMG_PENDING_VERIFY) {
    return FG_OK;
  }
  const esp_err_t e = esp_ota_mark_app_valid_cancel_rollback();
  return e == ESP_OK ? FG_OK : FG_ERR_FROM_PORT(e);
}

static int prv_read_running(void *ctx, size_t offset, uint8_t *data, size_t len) {
  (void)ctx;
  const esp_partition_t *running = esp_ota_get_running_partition();
  if (running == NULL || offset + len > running->size) {
    return FG_ERR_RANGE;
  }
  const esp_err_t e = esp_partition_read(running, offset, data, len);
  return e == ESP_OK ? FG_OK : FG_ERR_FROM_PORT(e);
}

static int prv_reject(void *ctx) {
  (void)ctx;
  /* marks the running app invalid, selects the previous one and restarts: returns only on error */
  const esp_err_t e = esp_ota_mark_app_invalid_rollback_and_reboot();
  return FG_ERR_FROM_PORT(e);
}

int fg_esp_flash_init(fg_flash_t *flash, fg_esp_flash_ctx_t *ctx) {
  memset(ctx, 0, sizeof(*ctx));
  flash->begin = prv_begin;
  flash->write = prv_write;
  flash->read = prv_read;
  flash->finish = prv_finish;
  flash->abort = prv_abort;
  flash->confirm = prv_confirm;
  flash->read_running = prv_read_running;
  flash->reject = prv_reject;
  flash->ctx = ctx;
  return FG_OK;
}
