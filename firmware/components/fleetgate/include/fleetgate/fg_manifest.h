/**
 * @file fg_manifest.h
 * @brief The OTA manifest (server/ota/SPEC.md): the binary header — format 1, 160 bytes (§3),
 *        committing to the whole chunk list; format 2, 176 bytes (§11), committing to a hash
 *        tree over hash pages — and the manifest JSON (§4, §11.5) as the gateway serves it.
 *
 * The header is authoritative; JSON copies are only compared against it (SPEC §7 step 5) and are
 * never acted on otherwise. Parsing here is syntax only (steps 1-2); signatures, key ids, the
 * chunk table and the image are checked by fg_ota_verify.h.
 */
#ifndef FLEETGATE_FG_MANIFEST_H
#define FLEETGATE_FG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "fleetgate/fg_json.h"
#include "fleetgate/fg_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* shared with the gateway: fg_limits.h, generated from server/protocol/limits.ts */
#define FG_MANIFEST_HEADER_SIZE ((size_t)FG_LIMIT_OTA_HEADER_SIZE_V1) /**< format 1 */
#define FG_MANIFEST_HEADER_SIZE_V2 ((size_t)FG_LIMIT_OTA_HEADER_SIZE_V2)
#define FG_MANIFEST_HEADER_MAX FG_MANIFEST_HEADER_SIZE_V2
#define FG_MANIFEST_FORMAT_V1 ((uint16_t)FG_LIMIT_OTA_FORMAT_V1)
#define FG_MANIFEST_FORMAT_V2 ((uint16_t)FG_LIMIT_OTA_FORMAT_V2)
#define FG_MANIFEST_VERSION_MAX ((size_t)FG_LIMIT_OTA_VERSION_MAX)
#define FG_MANIFEST_KEY_ID_LEN ((size_t)FG_LIMIT_OTA_KEY_ID_BYTES)
#define FG_MANIFEST_CHUNK_MIN ((uint32_t)FG_LIMIT_OTA_CHUNK_MIN)
#define FG_MANIFEST_CHUNK_MAX ((uint32_t)FG_LIMIT_OTA_CHUNK_MAX)
/** Largest RSA signature accepted (3072-bit keys). */
#define FG_MANIFEST_SIG_MAX ((size_t)FG_LIMIT_OTA_SIGNATURE_MAX)

typedef struct {
  uint16_t format_version;
  uint16_t header_size;
  uint32_t flags;
  uint32_t security_counter;
  uint32_t original_size;
  uint32_t encrypted_size;
  uint32_t chunk_size;
  uint32_t total_chunks;
  char version[FG_MANIFEST_VERSION_MAX + 1]; /**< NUL-terminated */
  uint8_t key_id[FG_MANIFEST_KEY_ID_LEN];
  uint8_t aes_key_id[FG_MANIFEST_KEY_ID_LEN];
  uint8_t iv[16];
  uint8_t firmware_sha256[32];
  uint8_t root[32];       /**< format 1: chunk_root; format 2: hash_root */
  uint32_t page_entries;  /**< format 2: digests per hash page (0 in format 1) */
  uint32_t total_pages;   /**< format 2 (0 in format 1) */
} fg_manifest_header_t;

/**
 * Parses and checks header bytes (SPEC §3, §11.1 / §7 step 2 "header_format"): magic "FGOM",
 * format_version 1 (len 160) or 2 (len 176), header_size = len, flags 0, the version field rule,
 * original_size >= 1, the encrypted_size / chunk_size / total_chunks rules, and in format 2 the
 * page_entries / total_pages rules and zero reserved bytes.
 * @return 0 or FG_ERR_FORMAT.
 */
int fg_manifest_header_parse(const uint8_t *bytes, size_t len, fg_manifest_header_t *out);

/** Length of encrypted chunk n (SPEC §6), 0 if n is out of range. */
uint32_t fg_manifest_chunk_len(const fg_manifest_header_t *h, uint32_t n);

/** The manifest JSON of SPEC §4, decoded. Binary fields are decoded from base64/hex. */
typedef struct {
  uint8_t header[FG_MANIFEST_HEADER_MAX]; /**< manifest_header */
  size_t header_len;                      /**< 160 (format 1) or 176 (format 2) */
  uint8_t header_sig[FG_MANIFEST_SIG_MAX]; /**< manifest_signature */
  size_t header_sig_len;
  uint8_t fw_sig[FG_MANIFEST_SIG_MAX];     /**< signature (over the plaintext firmware) */
  size_t fw_sig_len;
  /* JSON copies of header fields (compared with the header, never trusted on their own) */
  char version[FG_MANIFEST_VERSION_MAX + 1];
  uint32_t security_counter;
  uint32_t original_size;
  uint32_t encrypted_size;
  uint32_t chunk_size;
  uint32_t total_chunks;
  uint32_t format_version;
  uint8_t sha256[32];
  uint8_t iv[16];
  uint8_t key_id[FG_MANIFEST_KEY_ID_LEN];
  uint8_t aes_key_id[FG_MANIFEST_KEY_ID_LEN];
  uint8_t root[32];          /**< chunk_root (format 1) or hash_root (format 2) */
  uint32_t page_entries;     /**< format 2 */
  uint32_t total_pages;      /**< format 2 */
  /** Format 1: entries found in chunk_hashes (they are written to the caller's table). */
  uint32_t chunk_hash_count;
} fg_manifest_t;

/**
 * Parses a manifest JSON object (step 1, "manifest_format"): every field of §4 (format 1) or
 * §11.5 (format 2) with the right type, canonical base64, a 160- or 176-byte manifest_header,
 * 64-hex hashes, 16-hex key ids. `obj` is the token index of the manifest object inside doc.
 * Format 1: chunk_hashes entries are decoded into table (32 bytes each); more entries than
 * table_cap/32 is FG_ERR_BUFFER_TOO_SMALL. Format 2 has no table (table may be NULL).
 * @return 0, FG_ERR_FORMAT or FG_ERR_BUFFER_TOO_SMALL.
 */
int fg_manifest_from_json(const fg_json_doc_t *doc, int obj, fg_manifest_t *m, uint8_t *table,
                          size_t table_cap);

/**
 * Step 5 ("manifest_mismatch"): every JSON copy equals the (already authenticated) header.
 * @return 0 or FG_ERR_MISMATCH.
 */
int fg_manifest_check_copies(const fg_manifest_t *m, const fg_manifest_header_t *h);

#ifdef __cplusplus
}
#endif
#endif
