/**
 * @file fg_manifest.h
 * @brief The OTA manifest (server/ota/SPEC.md, format version 1): the fixed 160-byte binary
 *        header (§3) and the manifest JSON (§4) as the gateway serves it.
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

#ifdef __cplusplus
extern "C" {
#endif

#define FG_MANIFEST_HEADER_SIZE 160u
#define FG_MANIFEST_FORMAT_VERSION 1u
#define FG_MANIFEST_VERSION_MAX 31u
#define FG_MANIFEST_KEY_ID_LEN 8u
#define FG_MANIFEST_CHUNK_MIN 256u
#define FG_MANIFEST_CHUNK_MAX 65536u
/** Largest RSA signature accepted (3072-bit keys). */
#define FG_MANIFEST_SIG_MAX 384u

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
  uint8_t chunk_root[32];
} fg_manifest_header_t;

/**
 * Parses and checks the 160 header bytes (SPEC §3 / §7 step 2 "header_format"): magic "FGOM",
 * format_version 1, header_size 160, flags 0, the version field rule, original_size >= 1, and
 * the encrypted_size / chunk_size / total_chunks rules.
 * @return 0 or FG_ERR_FORMAT.
 */
int fg_manifest_header_parse(const uint8_t bytes[FG_MANIFEST_HEADER_SIZE],
                             fg_manifest_header_t *out);

/** Length of encrypted chunk n (SPEC §6), 0 if n is out of range. */
uint32_t fg_manifest_chunk_len(const fg_manifest_header_t *h, uint32_t n);

/** The manifest JSON of SPEC §4, decoded. Binary fields are decoded from base64/hex. */
typedef struct {
  uint8_t header[FG_MANIFEST_HEADER_SIZE]; /**< manifest_header */
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
  uint8_t chunk_root[32];
  /** Entries found in chunk_hashes (they are written to the caller's table). */
  uint32_t chunk_hash_count;
} fg_manifest_t;

/**
 * Parses a manifest JSON object (step 1, "manifest_format"): every field of §4 with the right
 * type, canonical base64, a 160-byte manifest_header, 64-hex hashes, 16-hex key ids.
 * `obj` is the token index of the manifest object inside doc (0 for a bare manifest).
 * chunk_hashes entries are decoded into table (32 bytes each); more entries than table_cap/32
 * is FG_ERR_BUFFER_TOO_SMALL.
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
