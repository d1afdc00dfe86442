/**
 * @file fg_crypto.h
 * @brief Thin wrappers over mbedTLS: SHA-256, HMAC-SHA256, AES-256-CBC block decryption,
 *        RSASSA-PSS verification and a constant-time compare.
 *
 * Works with mbedTLS 2.28 (Debian 12, host build) and 3.x (ESP-IDF v5): the version split is
 * confined to fg_crypto.c. Errors from mbedTLS come back as FG_ERR_FROM_MBEDTLS(code).
 *
 * SHA-256 and HMAC keep their state in caller-owned structs (no heap). HMAC is built on the
 * SHA-256 context directly rather than mbedtls_md_hmac_*, because mbedtls_md_setup() allocates.
 * RSA verification parses the DER public key on each call; mbedTLS allocates the bignums there.
 */
#ifndef FLEETGATE_FG_CRYPTO_H
#define FLEETGATE_FG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/aes.h"
#include "mbedtls/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FG_SHA256_LEN 32u
#define FG_AES_BLOCK 16u
#define FG_AES256_KEY_LEN 32u
/** PSS salt length fixed by the OTA format. */
#define FG_PSS_SALT_LEN 32u

typedef struct {
  mbedtls_sha256_context ctx;
} fg_sha256_t;

int fg_sha256_start(fg_sha256_t *h);
int fg_sha256_update(fg_sha256_t *h, const void *data, size_t len);
/** Writes the digest and frees the context. */
int fg_sha256_finish(fg_sha256_t *h, uint8_t out[FG_SHA256_LEN]);
/** Frees a context that will not be finished (error paths). Safe after finish. */
void fg_sha256_free(fg_sha256_t *h);
int fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_LEN]);

typedef struct {
  fg_sha256_t inner;
  uint8_t opad_key[64];
} fg_hmac_t;

int fg_hmac_start(fg_hmac_t *m, const uint8_t *key, size_t key_len);
int fg_hmac_update(fg_hmac_t *m, const void *data, size_t len);
/** Writes the MAC, frees the context and wipes the key material. */
int fg_hmac_finish(fg_hmac_t *m, uint8_t out[FG_SHA256_LEN]);
void fg_hmac_free(fg_hmac_t *m);
int fg_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                   uint8_t out[FG_SHA256_LEN]);

/** Constant-time equality of two n-byte buffers (true when equal). */
bool fg_ct_equal(const void *a, const void *b, size_t n);

/**
 * Constant-time check that `hex` (exactly 64 lowercase hex chars, `hex_len` given) encodes
 * `expected`. Returns false for any other length or character set.
 */
bool fg_ct_equal_hex(const char *hex, size_t hex_len, const uint8_t expected[FG_SHA256_LEN]);

/** Best-effort wipe that the compiler may not drop. */
void fg_wipe(void *p, size_t n);

typedef struct {
  mbedtls_aes_context ctx;
} fg_aes_t;

/** Prepares AES-256 decryption with a 32-byte key. */
int fg_aes256_dec_init(fg_aes_t *a, const uint8_t key[FG_AES256_KEY_LEN]);
/**
 * CBC-decrypts len bytes (a multiple of 16) from in to out (may alias). iv is updated to the
 * last ciphertext block, so consecutive calls continue the chain.
 */
int fg_aes256_cbc_decrypt(fg_aes_t *a, uint8_t iv[FG_AES_BLOCK], const uint8_t *in, size_t len,
                          uint8_t *out);
void fg_aes_free(fg_aes_t *a);

/**
 * RSASSA-PSS verification (SHA-256, MGF1-SHA256, salt length exactly 32) of a SHA-256 digest.
 * @param pubkey_der SubjectPublicKeyInfo or PKCS#1 RSAPublicKey, DER.
 * @return 0 when valid, FG_ERR_SIGNATURE when not, FG_ERR_FORMAT for an unusable key.
 */
int fg_rsa_pss_verify(const uint8_t *pubkey_der, size_t pubkey_len,
                      const uint8_t hash[FG_SHA256_LEN], const uint8_t *sig, size_t sig_len);

#ifdef __cplusplus
}
#endif
#endif
