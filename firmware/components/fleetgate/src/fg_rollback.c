#include "fleetgate/fg_rollback.h"

#include <string.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fg_le_private.h"

/* record: u32 counter, u32 image_size, sha256[32], state u8, version (1..31 bytes) */
#define PRV_FIXED (4u + 4u + 32u + 1u)
#define PRV_RECORD_MAX (PRV_FIXED + FG_MANIFEST_VERSION_MAX)

int fg_rollback_min(const fg_kv_t *kv, uint32_t *min) {
  if (kv == NULL || min == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const int rc = fg_kv_get_u32(kv, FG_ROLLBACK_KEY_MIN, min);
  if (rc == FG_ERR_NOT_FOUND) {
    *min = 0;
    return FG_OK;
  }
  return rc;
}

int fg_rollback_set_pending(const fg_kv_t *kv, const fg_rollback_pending_t *p) {
  if (kv == NULL || p == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const size_t n = strlen(p->version);
  if (n == 0 || n > FG_MANIFEST_VERSION_MAX) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t rec[PRV_RECORD_MAX];
  fg_le32_store(rec, p->counter);
  fg_le32_store(rec + 4, p->image_size);
  memcpy(rec + 8, p->sha256, 32);
  rec[40] = p->state;
  memcpy(rec + PRV_FIXED, p->version, n);
  return kv->set(kv->ctx, FG_ROLLBACK_KEY_PENDING, rec, PRV_FIXED + n);
}

int fg_rollback_get_pending(const fg_kv_t *kv, fg_rollback_pending_t *p) {
  if (kv == NULL || p == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(p, 0, sizeof(*p));
  uint8_t rec[PRV_RECORD_MAX];
  size_t len = 0;
  const int rc = kv->get(kv->ctx, FG_ROLLBACK_KEY_PENDING, rec, sizeof(rec), &len);
  if (rc != 0) {
    return rc == FG_ERR_BUFFER_TOO_SMALL ? FG_ERR_FORMAT : rc;
  }
  if (len <= PRV_FIXED || len > PRV_RECORD_MAX ||
      (rec[40] != FG_PENDING_INSTALLED && rec[40] != FG_PENDING_CONFIRMED)) {
    return FG_ERR_FORMAT; /* a record of an older firmware (keyed by version): not trusted */
  }
  p->counter = fg_le32_load(rec);
  p->image_size = fg_le32_load(rec + 4);
  memcpy(p->sha256, rec + 8, 32);
  p->state = rec[40];
  memcpy(p->version, rec + PRV_FIXED, len - PRV_FIXED);
  p->version[len - PRV_FIXED] = '\0';
  return FG_OK;
}

int fg_rollback_clear_pending(const fg_kv_t *kv) {
  if (kv == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  return kv->erase(kv->ctx, FG_ROLLBACK_KEY_PENDING);
}

static int prv_running_matches(const fg_flash_t *flash, const fg_rollback_pending_t *p,
                               uint8_t *buf, size_t cap, bool *match) {
  *match = false;
  if (flash == NULL || flash->read_running == NULL) {
    return FG_ERR_UNSUPPORTED;
  }
  fg_sha256_t h;
  int rc = fg_sha256_start(&h);
  for (size_t off = 0; rc == 0 && off < p->image_size;) {
    const size_t n = (p->image_size - off) < cap ? (p->image_size - off) : cap;
    rc = flash->read_running(flash->ctx, off, buf, n);
    if (rc != 0) {
      /* an unreadable or shorter running image is not the installed one */
      fg_sha256_free(&h);
      return FG_OK;
    }
    rc = fg_sha256_update(&h, buf, n);
    off += n;
  }
  uint8_t digest[32];
  if (rc == 0) {
    rc = fg_sha256_finish(&h, digest);
  } else {
    fg_sha256_free(&h);
  }
  if (rc == 0) {
    *match = fg_ct_equal(digest, p->sha256, 32);
  }
  return rc;
}

int fg_rollback_boot_state(const fg_kv_t *kv, const fg_flash_t *flash, uint8_t *buf, size_t cap,
                           fg_rollback_pending_t *p, fg_boot_state_t *state) {
  if (kv == NULL || buf == NULL || cap < 64 || p == NULL || state == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  *state = FG_BOOT_NORMAL;
  int rc = fg_rollback_get_pending(kv, p);
  if (rc == FG_ERR_NOT_FOUND) {
    return FG_OK;
  }
  if (rc == FG_ERR_FORMAT) {
    (void)fg_rollback_clear_pending(kv); /* unreadable: never acted on */
    return FG_OK;
  }
  if (rc != 0) {
    return rc;
  }
  if (p->state == FG_PENDING_CONFIRMED) {
    *state = FG_BOOT_CONFIRMED;
    return FG_OK;
  }
  bool match = false;
  rc = prv_running_matches(flash, p, buf, cap, &match);
  if (rc != 0) {
    return rc;
  }
  *state = match ? FG_BOOT_TRIAL : FG_BOOT_ROLLED_BACK;
  return FG_OK;
}

int fg_rollback_confirm(const fg_kv_t *kv, const fg_flash_t *flash, fg_rollback_pending_t *p,
                        uint32_t *new_min) {
  if (kv == NULL || flash == NULL || flash->confirm == NULL || p == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  int rc = flash->confirm(flash->ctx);
  if (rc != 0) {
    return rc; /* not confirmed: the bootloader will roll back; the minimum stays */
  }
  uint32_t min = 0;
  rc = fg_rollback_min(kv, &min);
  if (rc != 0) {
    return rc;
  }
  if (p->counter > min) {
    rc = fg_kv_set_u32(kv, FG_ROLLBACK_KEY_MIN, p->counter);
    if (rc != 0) {
      return rc; /* record kept as installed: the next boot tries again */
    }
    min = p->counter;
  }
  if (new_min != NULL) {
    *new_min = min;
  }
  p->state = FG_PENDING_CONFIRMED;
  return fg_rollback_set_pending(kv, p);
}
