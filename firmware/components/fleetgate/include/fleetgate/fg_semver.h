/**
 * @file fg_semver.h
 * @brief Semantic Versioning 2.0.0 precedence (semver.org §11), for the device's OTA version
 *        policy: the gateway offers only newer versions, and the device refuses an older one
 *        it is pushed to (fg_ota_config_t.allow_downgrade).
 *
 * Strict: MAJOR.MINOR.PATCH without leading zeros, optional -prerelease (dot-separated
 * [0-9A-Za-z-] identifiers, numeric ones without leading zeros), optional +build (ignored for
 * precedence). No "v" prefix. Numbers of any length are compared exactly (no overflow).
 */
#ifndef FLEETGATE_FG_SEMVER_H
#define FLEETGATE_FG_SEMVER_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest version string considered (the OTA header allows 31 characters). */
#define FG_SEMVER_MAX_LEN 64

/** True if v is a valid SemVer 2.0.0 version of at most FG_SEMVER_MAX_LEN characters. */
bool fg_semver_valid(const char *v);

/**
 * Compares the precedence of a and b: *out < 0 if a < b, 0 if equal (build metadata ignored),
 * > 0 if a > b.
 * @return 0, FG_ERR_INVALID_ARG (NULL) or FG_ERR_FORMAT (either is not SemVer).
 */
int fg_semver_cmp(const char *a, const char *b, int *out);

#ifdef __cplusplus
}
#endif
#endif
