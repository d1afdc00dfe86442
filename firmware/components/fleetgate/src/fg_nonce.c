#include "fleetgate/fg_nonce.h"

#include <string.h>

#include "fleetgate/fg_err.h"

int fg_nonce_init(fg_nonce_t *n, const fg_kv_t *kv) {
  if (n == NULL || kv == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(n, 0, sizeof(*n));
  n->kv = kv;
  n->counter = FG_NONCE_PER_EPOCH;
  uint32_t stored = 0;
  const int rc = fg_kv_get_u32(kv, FG_NONCE_KV_KEY, &stored);
  if (rc == FG_ERR_NOT_FOUND) {
    stored = 0;
  } else if (rc != 0) {
    return rc;
  } else if (stored > FG_NONCE_EPOCH_MAX) {
    return FG_ERR_FORMAT;
  }
  n->stored_epoch = stored;
  return FG_OK;
}

static int prv_reserve(fg_nonce_t *n) {
  if (n->stored_epoch >= FG_NONCE_EPOCH_MAX) {
    return FG_ERR_NONCE_EXHAUSTED;
  }
  const uint32_t next = n->stored_epoch + 1;
  /* Persist before use: if this fails, no nonce of `next` is ever sent. */
  const int rc = fg_kv_set_u32(n->kv, FG_NONCE_KV_KEY, next);
  if (rc != 0) {
    return rc;
  }
  n->stored_epoch = next;
  n->epoch = next;
  n->counter = 0;
  if (n->boot_epoch == 0) {
    n->boot_epoch = next;
  }
  return FG_OK;
}

int fg_nonce_next(fg_nonce_t *n, uint32_t *out) {
  if (n == NULL || out == NULL || n->kv == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (n->epoch == 0 || n->counter >= FG_NONCE_PER_EPOCH) {
    const int rc = prv_reserve(n);
    if (rc != 0) {
      return rc;
    }
  }
  *out = (n->epoch << 16) | n->counter;
  n->counter++;
  return FG_OK;
}

int fg_nonce_resync(fg_nonce_t *n, uint32_t last_seen) {
  if (n == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const uint32_t seen_epoch = last_seen >> 16;
  if (seen_epoch >= FG_NONCE_EPOCH_MAX) {
    n->stored_epoch = FG_NONCE_EPOCH_MAX;
    n->counter = FG_NONCE_PER_EPOCH;
    return FG_ERR_NONCE_EXHAUSTED;
  }
  if (n->epoch != 0 && n->counter < FG_NONCE_PER_EPOCH &&
      ((n->epoch << 16) | n->counter) > last_seen) {
    return FG_OK; /* already ahead */
  }
  if (seen_epoch > n->stored_epoch) {
    n->stored_epoch = seen_epoch;
  }
  n->counter = FG_NONCE_PER_EPOCH; /* force a reservation (persisted) on the next call */
  return FG_OK;
}

uint32_t fg_nonce_boot_id(const fg_nonce_t *n) { return n == NULL ? 0 : n->boot_epoch; }

uint32_t fg_nonce_epochs_left(const fg_nonce_t *n) {
  return n == NULL ? 0 : FG_NONCE_EPOCH_MAX - n->stored_epoch;
}
