/* The shared vector files in tests/vectors (the same ones the TypeScript tests use), for the C
 * tests: load one as a cJSON tree, read its string fields. */
#ifndef FG_TEST_VECTORS_H
#define FG_TEST_VECTORS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "fleetgate/fg_ota_verify.h"

/** Parses FG_VECTORS_DIR/<file>; NULL (and a failed check) if it is missing or not JSON. */
cJSON *fg_test_load_vectors(const char *file);

/** The string member `key` of `o`, or "" when absent or not a string. */
const char *fg_test_str(const cJSON *o, const char *key);

/** The TEST-ONLY OTA keys of manifest.json (used by both manifest formats' vectors). *der
 *  receives the SPKI DER the keys point into (free it after the tests). 1 on success. */
int fg_test_ota_keys(fg_ota_keys_t *keys, uint8_t **der);

#endif
