/**
 * @file fg_err.h
 * @brief The one error convention of the fleetgate core.
 *
 * Every function that can fail returns an `int`: 0 (FG_OK) on success, a negative value on
 * failure. Functions that return a count or length return it as a non-negative `int` on success.
 *
 *  -1 .. -0xFFFF      fleetgate's own codes (FG_ERR_* below).
 *  -0x10001 .. -0x17FFF  an mbedTLS error `e` (itself in -0x0001 .. -0x7FFF) carried unchanged:
 *                     FG_ERR_FROM_MBEDTLS(e) == -0x10000 + e; FG_ERR_TO_MBEDTLS() recovers e.
 *  -0x20001 .. -0x2FFFF  a platform (port) error `p` (an esp_err_t on ESP-IDF, an errno on
 *                     POSIX): FG_ERR_FROM_PORT(p) == -0x20000 - p for 1 <= p <= 0xFFFE; the one
 *                     negative esp_err_t, ESP_FAIL (-1), and anything out of range become
 *                     FG_ERR_PORT_FAIL (-0x2FFFF), which FG_ERR_TO_PORT maps back to -1.
 *
 * Codes are stable: they appear in logs, diagnostics and the simulator's JSON output.
 */
#ifndef FLEETGATE_FG_ERR_H
#define FLEETGATE_FG_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#define FG_OK 0
/** A NULL pointer, zero length or out-of-range argument. */
#define FG_ERR_INVALID_ARG (-1)
/** A caller-provided buffer is too small for the result. */
#define FG_ERR_BUFFER_TOO_SMALL (-2)
/** Input that does not parse (JSON, base64, hex, header bytes, HTTP). */
#define FG_ERR_FORMAT (-3)
/** A key, field or item is not present. */
#define FG_ERR_NOT_FOUND (-4)
/** A storage or flash operation failed. */
#define FG_ERR_IO (-5)
/** A MAC or response signature does not verify (injected or replayed answer). */
#define FG_ERR_AUTH (-6)
/** A CRC32 does not match. */
#define FG_ERR_CRC (-7)
/** A SHA-256 does not match (chunk, chunk table, firmware). */
#define FG_ERR_HASH (-8)
/** A method, format version or feature this build does not support. */
#define FG_ERR_UNSUPPORTED (-9)
/** The nonce space (all 65,535 epochs) is used up: the device must be re-provisioned. */
#define FG_ERR_NONCE_EXHAUSTED (-10)
/** The offered firmware's security counter is below the device's anti-rollback minimum. */
#define FG_ERR_ROLLBACK (-11)
/** Transport failure: could not connect, send or receive. */
#define FG_ERR_TRANSPORT (-12)
/** The gateway answered with a non-2xx status (the body is still returned). */
#define FG_ERR_HTTP_STATUS (-13)
/** A call made in the wrong state (e.g. OTA chunk before initiate). */
#define FG_ERR_STATE (-14)
/** A value out of the range the format allows (sizes, counts, indices). */
#define FG_ERR_RANGE (-15)
/** An RSA-PSS signature does not verify (manifest or firmware). */
#define FG_ERR_SIGNATURE (-16)
/** PKCS#7 padding is wrong after decryption (wrong AES key or corrupted last chunk). */
#define FG_ERR_PADDING (-17)
/** The header names a key id this device does not hold. */
#define FG_ERR_KEY_ID (-18)
/** Nothing to do (e.g. no update available). Not an error for callers that expect it. */
#define FG_ERR_NOTHING (-19)
/** The operation was stopped on purpose (simulated interruption). */
#define FG_ERR_INTERRUPTED (-20)
/** The gateway's answer disagrees with the authenticated manifest or with itself. */
#define FG_ERR_MISMATCH (-21)
/** The gateway withdrew the version being fetched: a *signed* 410 "yanked" (fg_limits.h
 *  FG_LIMIT_OTA_REFUSAL_YANKED). Final for that version: the download is dropped, not retried. */
#define FG_ERR_YANKED (-22)
/** The version is not offered to this device: a *signed* 409 "not_assigned". Final like
 *  FG_ERR_YANKED. An unsigned or wrongly signed refusal is never either of these. */
#define FG_ERR_NOT_ASSIGNED (-23)

/* Packed telemetry (server/codec/SPEC.md §9.2); fg_codec_error_code() gives the SPEC's name. */
/** Frame header invalid (SPEC "bad_frame"). */
#define FG_ERR_BAD_FRAME (-30)
/** Declared and actual sizes disagree (SPEC "size_mismatch"). */
#define FG_ERR_SIZE_MISMATCH (-31)
/** A block does not decode, trailing bytes, bad fields (SPEC "bad_packed_data"). */
#define FG_ERR_BAD_PACKED (-32)
/** Over a size or ratio limit (SPEC "too_large"). */
#define FG_ERR_TOO_LARGE (-33)
/** Method id not assigned (SPEC "unknown_method"). */
#define FG_ERR_UNKNOWN_METHOD (-34)

#define FG_ERR_MBEDTLS_BASE (-0x10000)
#define FG_ERR_FROM_MBEDTLS(e) ((e) == 0 ? 0 : FG_ERR_MBEDTLS_BASE + (e))
#define FG_ERR_IS_MBEDTLS(e) ((e) <= -0x10001 && (e) >= -0x17FFF)
#define FG_ERR_TO_MBEDTLS(e) ((e) - FG_ERR_MBEDTLS_BASE)

#define FG_ERR_PORT_BASE (-0x20000)
/** A port failure without a code of its own (ESP_FAIL = -1, or a code outside 1..0xFFFE). */
#define FG_ERR_PORT_FAIL (-0x2FFFF)
#define FG_ERR_FROM_PORT(p) \
  ((p) == 0 ? 0 : ((p) > 0 && (p) < 0xFFFF) ? FG_ERR_PORT_BASE - (p) : FG_ERR_PORT_FAIL)
#define FG_ERR_IS_PORT(e) ((e) <= -0x20001 && (e) >= -0x2FFFF)
#define FG_ERR_TO_PORT(e) ((e) == FG_ERR_PORT_FAIL ? -1 : FG_ERR_PORT_BASE - (e))

/** Stable short name of an error code ("auth", "mbedtls", "port", ...). Never NULL. */
const char *fg_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* FLEETGATE_FG_ERR_H */
