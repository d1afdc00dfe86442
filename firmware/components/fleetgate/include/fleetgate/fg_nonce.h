/**
 * @file fg_nonce.h
 * @brief Strictly increasing 32-bit nonces that survive reboots with one flash write per boot.
 *
 *     nonce = epoch << 16 | counter        epoch: 1..65535 (persisted), counter: 0..65535 (RAM)
 *
 * The kv key "fg_epoch" holds the last *reserved* epoch E. The first nonce a boot needs reserves
 * E+1: it is written to flash BEFORE any nonce of that epoch is handed out, so whatever happens
 * afterwards (crash, power cut), the next boot reserves E+2 and its nonces are larger than every
 * nonce this boot could have sent. When the counter of the current epoch is used up (65,536
 * messages), the next epoch is reserved the same way. So flash is written once per boot plus
 * once per 65,536 messages, and a boot that never talks to the gateway (e.g. a crash loop before
 * Wi-Fi) writes nothing and burns no epoch: reservation is lazy.
 *
 * Epoch 0 is never used, so nonce 0 (a fresh gateway's "nothing seen yet") is never sent.
 * Exhaustion is explicit: once epoch 65535 is used up fg_nonce_next() fails with
 * FG_ERR_NONCE_EXHAUSTED for good, and the device must be re-provisioned (new device key and
 * the gateway's nonce state reset for it). At one reboot a day that is ~179 years; the app
 * reports fg_nonce_epochs_left() in diagnostics so a boot-looping device is noticed long before.
 * The epoch never wraps to a smaller value: a wrap would be a replay in the gateway's eyes.
 *
 * The boot id sent in heartbeats is the first epoch reserved by this boot (0 until then): it
 * changes on every boot that talks to the gateway and orders boots.
 */
#ifndef FLEETGATE_FG_NONCE_H
#define FLEETGATE_FG_NONCE_H

#include <stdint.h>

#include "fleetgate/platform/fg_kv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_NONCE_KV_KEY "fg_epoch"
#define FG_NONCE_EPOCH_MAX 0xFFFFu
#define FG_NONCE_PER_EPOCH 0x10000u

typedef struct {
  const fg_kv_t *kv;
  uint32_t stored_epoch; /**< last reserved epoch as persisted (0: none yet) */
  uint32_t epoch;        /**< epoch in use by this boot (0: none reserved yet) */
  uint32_t counter;      /**< next low half; FG_NONCE_PER_EPOCH when used up */
  uint32_t boot_epoch;   /**< first epoch of this boot = boot id */
} fg_nonce_t;

/**
 * Loads the persisted epoch. Writes nothing. A stored value that cannot be read (other than
 * absent) is an error: handing out nonces from a guess could repeat old ones.
 */
int fg_nonce_init(fg_nonce_t *n, const fg_kv_t *kv);

/** Next nonce; reserves (persists) a new epoch when needed. */
int fg_nonce_next(fg_nonce_t *n, uint32_t *out);

/**
 * The gateway reported (authenticated) that it has seen `last_seen`: make every later nonce
 * larger, by moving to the epoch after last_seen's. Used after the device lost its storage.
 */
int fg_nonce_resync(fg_nonce_t *n, uint32_t last_seen);

/** Boot id (first epoch reserved by this boot), 0 before the first fg_nonce_next(). */
uint32_t fg_nonce_boot_id(const fg_nonce_t *n);

/** Epochs that can still be reserved after the current one. */
uint32_t fg_nonce_epochs_left(const fg_nonce_t *n);

#ifdef __cplusplus
}
#endif
#endif
