/**
 * The mbedTLS configuration of the fleetgate core for bare-metal builds (MBEDTLS_CONFIG_FILE):
 * exactly what fg_crypto.c needs — SHA-256, AES-256-CBC, RSA PKCS#1 v2.1 (PSS) verification of a
 * DER public key — and nothing that needs an OS. Debian's default config enables
 * MBEDTLS_THREADING_PTHREAD, which no microcontroller C library provides; ESP-IDF builds use
 * their own sdkconfig-generated config instead (firmware/sdkconfig.defaults).
 *
 * Used by the cross-compiled size check (scripts/cross-build.sh, tests/firmware/cross.test.ts).
 * Option names are those of mbedTLS 2.28 (Debian 12); they are the same in 3.x for everything here.
 */
#ifndef FG_MBEDTLS_CONFIG_H
#define FG_MBEDTLS_CONFIG_H

/* platform: no OS; calloc/free replaceable at run time (mbedtls_platform_set_calloc_free), so an
 * application can account for every allocation as firmware/host/bench/fleetgate_mem_report.c does */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_HAVE_ASM

/* what the OTA verifier and the request signatures use */
#define MBEDTLS_SHA256_C
#define MBEDTLS_AES_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_MD_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

/* smaller tables and code where it costs little speed on a 160-240 MHz MCU */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_SHA256_SMALLER

#if defined(__has_include)
#if __has_include("mbedtls/check_config.h") && !defined(MBEDTLS_VERSION_MAJOR)
#include "mbedtls/check_config.h"
#endif
#endif

#endif /* FG_MBEDTLS_CONFIG_H */
