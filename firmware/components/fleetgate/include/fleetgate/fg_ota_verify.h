/**
 * @file fg_ota_verify.h
 * @brief Streaming verification + decryption of an OTA image (server/ota/SPEC.md §7), without
 *        network or flash: the OTA state machine (fg_ota.h) feeds it, and the unit tests run the
 *        shared vectors (tests/vectors/manifest.json) through it.
 *
 * Order enforced (each step fails with its SPEC check name, fg_ota_check_name()):
 *   fg_ota_verify_header()      2 header_format, 3 key_id, 4 manifest_signature (format 1 or 2)
 *   fg_ota_verify_copies()      5 manifest_mismatch        (JSON devices)
 *   fg_ota_verify_rollback()    6 rollback
 *   format 1: fg_ota_verify_chunk_table() 7 chunk_table (the whole list, caller memory)
 *   format 2: fg_ota_verify_pages_begin(), then fg_ota_verify_page() per hash page: hash_page
 *             (inclusion proof against hash_root, §11.4; discard + refetch)
 *   fg_ota_verify_chunk()       8 chunk_order, chunk_length, chunk_hash (discard + refetch),
 *                               then AES-256-CBC decrypt with IV(n); 9 padding on the last chunk
 *   fg_ota_verify_finish()      10 firmware_hash, 11 firmware_signature (incomplete if early)
 * No unverified ciphertext is ever decrypted. No heap: the chunk table / current hash page and
 * buffers are the caller's; mbedTLS allocates only inside RSA key parsing.
 */
#ifndef FLEETGATE_FG_OTA_VERIFY_H
#define FLEETGATE_FG_OTA_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_limits.h"
#include "fleetgate/fg_manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Check names and order come from fg_limits.h (generated from server/protocol/limits.ts). */
#define FG_OTA_CHECK_ENUM_(id, name) FG_OTA_CHECK_##id,
typedef enum {
  FG_OTA_CHECK_NONE = 0,
  FG_LIMIT_OTA_CHECKS(FG_OTA_CHECK_ENUM_)
} fg_ota_check_t;

/** The SPEC's name of a check ("chunk_hash", ...); "" for NONE. */
const char *fg_ota_check_name(fg_ota_check_t c);

/** The device's OTA keys (from keys.h), with their ids computed as SPEC §2. */
typedef struct {
  const uint8_t *rsa_pub_der; /**< SPKI DER */
  size_t rsa_pub_der_len;
  uint8_t rsa_key_id[FG_MANIFEST_KEY_ID_LEN];
  uint8_t aes_key[32];
  uint8_t aes_key_id[FG_MANIFEST_KEY_ID_LEN];
} fg_ota_keys_t;

int fg_ota_keys_init(fg_ota_keys_t *k, const uint8_t *rsa_pub_der, size_t der_len,
                     const uint8_t aes_key[32]);

typedef enum {
  FG_OTA_STAGE_NONE = 0,
  FG_OTA_STAGE_HEADER,  /**< header authenticated */
  FG_OTA_STAGE_TABLE,   /**< chunk table verified: chunks may be fed */
  FG_OTA_STAGE_CHUNKS,  /**< every chunk applied */
  FG_OTA_STAGE_DONE,    /**< firmware hash and signature verified */
  FG_OTA_STAGE_FAILED,
} fg_ota_stage_t;

typedef struct {
  const fg_ota_keys_t *keys;
  fg_manifest_header_t hdr;
  uint8_t header_sha256[32]; /**< identifies the image (resume records) */
  const uint8_t *table;      /**< verified chunk hashes (format 1: all; format 2: the current
                                  page's), caller memory */
  uint32_t page;             /**< format 2: the page table holds (UINT32_MAX: none) */
  uint32_t next_chunk;
  uint8_t iv[16];            /**< IV(next_chunk) */
  uint32_t plain_done;       /**< plaintext bytes produced so far */
  fg_sha256_t hash;
  bool hash_running;         /**< false after a resume: the caller supplies the hash */
  fg_aes_t aes;
  bool aes_ready;
  uint8_t stage;             /**< fg_ota_stage_t */
  uint8_t failed_check;      /**< fg_ota_check_t of the last failure */
  int32_t failed_chunk;      /**< chunk of the last failure, -1 if none */
} fg_ota_verify_t;

/** Steps 2-4. header is the manifest_header bytes (160 or 176), sig the manifest_signature. */
int fg_ota_verify_header(fg_ota_verify_t *v, const fg_ota_keys_t *keys, const uint8_t *header,
                         size_t header_len, const uint8_t *sig, size_t sig_len);
/** Step 5 for JSON manifests. */
int fg_ota_verify_copies(fg_ota_verify_t *v, const fg_manifest_t *m);
/** Step 6: security_counter >= min_counter. */
int fg_ota_verify_rollback(fg_ota_verify_t *v, uint32_t min_counter);
/** Format 1, step 7: entries (count) hash to chunk_root. The table must stay valid while
 *  chunks are fed. */
int fg_ota_verify_chunk_table(fg_ota_verify_t *v, const uint8_t *table, size_t count);
/** Format 2: chunks may be fed once the page holding their hash has been accepted. */
int fg_ota_verify_pages_begin(fg_ota_verify_t *v);
/**
 * Format 2 (SPEC §11.4): accepts the "FGHP" answer for `page` — shape, index, entry count and
 * the inclusion proof against the signed hash_root — and keeps a pointer to its entries (the
 * answer buffer must stay valid while that page's chunks are fed). FG_ERR_HASH / FG_ERR_FORMAT
 * with check hash_page leave the state unchanged: refetch the page.
 */
int fg_ota_verify_page(fg_ota_verify_t *v, uint32_t page, const uint8_t *answer, size_t len);
/** Format 2: the page holding chunk n's hash. */
uint32_t fg_ota_verify_page_of(const fg_ota_verify_t *v, uint32_t n);
/**
 * Continues at chunk next_chunk (after an interruption) with iv = last 16 ciphertext bytes of
 * chunk next_chunk-1. The plaintext hash must then be supplied to fg_ota_verify_finish().
 */
int fg_ota_verify_resume(fg_ota_verify_t *v, uint32_t next_chunk, const uint8_t iv[16]);
/**
 * Step 8/9 for chunk n. On success writes the plaintext to plain (may equal enc; room for len
 * bytes) and its length (shorter for the last chunk) to *plain_len.
 * FG_ERR_HASH (chunk_hash) leaves the state unchanged: refetch the chunk and call again.
 */
int fg_ota_verify_chunk(fg_ota_verify_t *v, uint32_t n, const uint8_t *enc, size_t len,
                        uint8_t *plain, size_t *plain_len);
/**
 * Steps 10-11. plain_sha256: SHA-256 of the written plaintext computed by the caller (e.g. read
 * back from flash), or NULL to use the running hash (only without a resume).
 */
int fg_ota_verify_finish(fg_ota_verify_t *v, const uint8_t *plain_sha256, const uint8_t *fw_sig,
                         size_t fw_sig_len);
/** Releases crypto contexts (always call, also after failures). */
void fg_ota_verify_free(fg_ota_verify_t *v);

#ifdef __cplusplus
}
#endif
#endif
