/**
 * @file fg_kv.h
 * @brief Port interface: small persistent key/value store (NVS on ESP-IDF, files on POSIX).
 *
 * Keys are ASCII, at most FG_KV_KEY_MAX chars (NVS's limit). A set() must be atomic: after a
 * power cut the key holds either the old or the new value, never a mix (NVS guarantees this per
 * key; the POSIX port writes a temp file, fsyncs and renames).
 */
#ifndef FLEETGATE_PLATFORM_FG_KV_H
#define FLEETGATE_PLATFORM_FG_KV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FG_KV_KEY_MAX 15

typedef struct fg_kv {
  /** Reads key into buf. *len receives the stored size. FG_ERR_NOT_FOUND if absent,
   *  FG_ERR_BUFFER_TOO_SMALL if the value is larger than cap. */
  int (*get)(void *ctx, const char *key, void *buf, size_t cap, size_t *len);
  /** Stores (atomically replaces) key. */
  int (*set)(void *ctx, const char *key, const void *data, size_t len);
  /** Removes key; removing an absent key is not an error. */
  int (*erase)(void *ctx, const char *key);
  void *ctx;
} fg_kv_t;

/* Helpers over the interface (fg_kv.c). */
int fg_kv_get_u32(const fg_kv_t *kv, const char *key, uint32_t *out);
int fg_kv_set_u32(const fg_kv_t *kv, const char *key, uint32_t v);

#ifdef __cplusplus
}
#endif
#endif
