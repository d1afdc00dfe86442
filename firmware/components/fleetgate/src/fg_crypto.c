#include "fleetgate/fg_crypto.h"

#include <string.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "mbedtls/pk.h"
#include "mbedtls/rsa.h"
#include "mbedtls/version.h"

/* ---- mbedTLS 2.28 / 3.x split ------------------------------------------------------------ */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define PRV_SHA256_STARTS(c) mbedtls_sha256_starts((c), 0)
#define PRV_SHA256_UPDATE(c, d, n) mbedtls_sha256_update((c), (d), (n))
#define PRV_SHA256_FINISH(c, o) mbedtls_sha256_finish((c), (o))
#define PRV_PSS_VERIFY(rsa, hash, sig)                                                       \
  mbedtls_rsa_rsassa_pss_verify_ext((rsa), MBEDTLS_MD_SHA256, FG_SHA256_LEN, (hash),         \
                                    MBEDTLS_MD_SHA256, (int)FG_PSS_SALT_LEN, (sig))
#define PRV_RSA_LEN(rsa) mbedtls_rsa_get_len(rsa)
#else
#define PRV_SHA256_STARTS(c) mbedtls_sha256_starts_ret((c), 0)
#define PRV_SHA256_UPDATE(c, d, n) mbedtls_sha256_update_ret((c), (d), (n))
#define PRV_SHA256_FINISH(c, o) mbedtls_sha256_finish_ret((c), (o))
#define PRV_PSS_VERIFY(rsa, hash, sig)                                                       \
  mbedtls_rsa_rsassa_pss_verify_ext((rsa), NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, \
                                    FG_SHA256_LEN, (hash), MBEDTLS_MD_SHA256,               \
                                    (int)FG_PSS_SALT_LEN, (sig))
#define PRV_RSA_LEN(rsa) mbedtls_rsa_get_len(rsa)
#endif

void fg_wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n-- > 0) {
    *v++ = 0;
  }
}

int fg_sha256_start(fg_sha256_t *h) {
  if (h == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  mbedtls_sha256_init(&h->ctx);
  const int rc = PRV_SHA256_STARTS(&h->ctx);
  if (rc != 0) {
    mbedtls_sha256_free(&h->ctx);
  }
  return FG_ERR_FROM_MBEDTLS(rc);
}

int fg_sha256_update(fg_sha256_t *h, const void *data, size_t len) {
  if (h == NULL || (data == NULL && len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (len == 0) {
    return FG_OK;
  }
  return FG_ERR_FROM_MBEDTLS(PRV_SHA256_UPDATE(&h->ctx, (const unsigned char *)data, len));
}

int fg_sha256_finish(fg_sha256_t *h, uint8_t out[FG_SHA256_LEN]) {
  if (h == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const int rc = PRV_SHA256_FINISH(&h->ctx, out);
  mbedtls_sha256_free(&h->ctx);
  return FG_ERR_FROM_MBEDTLS(rc);
}

void fg_sha256_free(fg_sha256_t *h) {
  if (h != NULL) {
    mbedtls_sha256_free(&h->ctx);
  }
}

int fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_LEN]) {
  fg_sha256_t h;
  int rc = fg_sha256_start(&h);
  if (rc == 0) {
    rc = fg_sha256_update(&h, data, len);
  }
  if (rc == 0) {
    return fg_sha256_finish(&h, out);
  }
  fg_sha256_free(&h);
  return rc;
}

int fg_hmac_start(fg_hmac_t *m, const uint8_t *key, size_t key_len) {
  if (m == NULL || (key == NULL && key_len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t block[64];
  memset(block, 0, sizeof(block));
  int rc = FG_OK;
  if (key_len > sizeof(block)) {
    rc = fg_sha256(key, key_len, block);
  } else if (key_len > 0) {
    memcpy(block, key, key_len);
  }
  if (rc != 0) {
    fg_wipe(block, sizeof(block));
    return rc;
  }
  uint8_t ipad[64];
  for (size_t i = 0; i < sizeof(block); i++) {
    ipad[i] = (uint8_t)(block[i] ^ 0x36);
    m->opad_key[i] = (uint8_t)(block[i] ^ 0x5C);
  }
  fg_wipe(block, sizeof(block));
  rc = fg_sha256_start(&m->inner);
  if (rc == 0) {
    rc = fg_sha256_update(&m->inner, ipad, sizeof(ipad));
    if (rc != 0) {
      fg_sha256_free(&m->inner);
    }
  }
  fg_wipe(ipad, sizeof(ipad));
  if (rc != 0) {
    fg_wipe(m->opad_key, sizeof(m->opad_key));
  }
  return rc;
}

int fg_hmac_update(fg_hmac_t *m, const void *data, size_t len) {
  if (m == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  return fg_sha256_update(&m->inner, data, len);
}

int fg_hmac_finish(fg_hmac_t *m, uint8_t out[FG_SHA256_LEN]) {
  if (m == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  uint8_t inner[FG_SHA256_LEN];
  int rc = fg_sha256_finish(&m->inner, inner);
  fg_sha256_t outer;
  if (rc == 0) {
    rc = fg_sha256_start(&outer);
    if (rc == 0) {
      rc = fg_sha256_update(&outer, m->opad_key, sizeof(m->opad_key));
      if (rc == 0) {
        rc = fg_sha256_update(&outer, inner, sizeof(inner));
      }
      if (rc == 0) {
        rc = fg_sha256_finish(&outer, out);
      } else {
        fg_sha256_free(&outer);
      }
    }
  }
  fg_wipe(inner, sizeof(inner));
  fg_wipe(m->opad_key, sizeof(m->opad_key));
  return rc;
}

void fg_hmac_free(fg_hmac_t *m) {
  if (m != NULL) {
    fg_sha256_free(&m->inner);
    fg_wipe(m->opad_key, sizeof(m->opad_key));
  }
}

int fg_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t len,
                   uint8_t out[FG_SHA256_LEN]) {
  fg_hmac_t m;
  int rc = fg_hmac_start(&m, key, key_len);
  if (rc != 0) {
    return rc;
  }
  rc = fg_hmac_update(&m, data, len);
  if (rc != 0) {
    fg_hmac_free(&m);
    return rc;
  }
  return fg_hmac_finish(&m, out);
}

bool fg_ct_equal(const void *a, const void *b, size_t n) {
  const volatile uint8_t *pa = (const volatile uint8_t *)a;
  const volatile uint8_t *pb = (const volatile uint8_t *)b;
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++) {
    diff |= (uint8_t)(pa[i] ^ pb[i]);
  }
  return diff == 0;
}

bool fg_ct_equal_hex(const char *hex, size_t hex_len, const uint8_t expected[FG_SHA256_LEN]) {
  if (hex == NULL || expected == NULL || hex_len != FG_SHA256_LEN * 2) {
    return false;
  }
  for (size_t i = 0; i < hex_len; i++) {
    const char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false; /* the wire format is lowercase hex only */
    }
  }
  uint8_t got[FG_SHA256_LEN];
  if (fg_hex_decode(hex, hex_len, got, sizeof(got)) != (int)FG_SHA256_LEN) {
    return false;
  }
  return fg_ct_equal(got, expected, FG_SHA256_LEN);
}

int fg_aes256_dec_init(fg_aes_t *a, const uint8_t key[FG_AES256_KEY_LEN]) {
  if (a == NULL || key == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  mbedtls_aes_init(&a->ctx);
  const int rc = mbedtls_aes_setkey_dec(&a->ctx, key, 256);
  if (rc != 0) {
    mbedtls_aes_free(&a->ctx);
  }
  return FG_ERR_FROM_MBEDTLS(rc);
}

int fg_aes256_cbc_decrypt(fg_aes_t *a, uint8_t iv[FG_AES_BLOCK], const uint8_t *in, size_t len,
                          uint8_t *out) {
  if (a == NULL || iv == NULL || ((in == NULL || out == NULL) && len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  if (len % FG_AES_BLOCK != 0) {
    return FG_ERR_RANGE;
  }
  if (len == 0) {
    return FG_OK;
  }
  return FG_ERR_FROM_MBEDTLS(mbedtls_aes_crypt_cbc(&a->ctx, MBEDTLS_AES_DECRYPT, len, iv, in, out));
}

void fg_aes_free(fg_aes_t *a) {
  if (a != NULL) {
    mbedtls_aes_free(&a->ctx);
  }
}

int fg_rsa_pss_verify(const uint8_t *pubkey_der, size_t pubkey_len,
                      const uint8_t hash[FG_SHA256_LEN], const uint8_t *sig, size_t sig_len) {
  if (pubkey_der == NULL || pubkey_len == 0 || hash == NULL || sig == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  int rc = mbedtls_pk_parse_public_key(&pk, pubkey_der, pubkey_len);
  if (rc != 0 || mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
    mbedtls_pk_free(&pk);
    return FG_ERR_FORMAT;
  }
  mbedtls_rsa_context *rsa = mbedtls_pk_rsa(pk);
  if (PRV_RSA_LEN(rsa) != sig_len) {
    mbedtls_pk_free(&pk);
    return FG_ERR_SIGNATURE;
  }
  rc = PRV_PSS_VERIFY(rsa, hash, sig);
  mbedtls_pk_free(&pk);
  return rc == 0 ? FG_OK : FG_ERR_SIGNATURE;
}
