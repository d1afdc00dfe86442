#include <stdlib.h>

#include "fg_test.h"
#include "fleetgate/fg_hex.h"

int fg_test_failures = 0;
int fg_test_checks = 0;
static int s_skipped = 0;

int fg_test_run(const char *suite, const fg_test_case_t *cases, size_t n) {
  int passed = 0;
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    const int before = fg_test_failures;
    const int skipped_before = s_skipped;
    cases[i].fn();
    if (fg_test_failures != before) {
      failed++;
      printf("FAIL %s/%s\n", suite, cases[i].name);
    } else if (s_skipped != skipped_before) {
      printf("skip %s/%s\n", suite, cases[i].name);
    } else {
      passed++;
      printf("ok   %s/%s\n", suite, cases[i].name);
    }
  }
  printf("%s: %d passed, %d failed (%d checks)\n", suite, passed, failed, fg_test_checks);
  return failed == 0 ? 0 : 1;
}

uint8_t *fg_test_hex(const char *hex, size_t *len) {
  const size_t n = strlen(hex);
  uint8_t *out = (uint8_t *)malloc(n / 2 + 1);
  if (out == NULL) {
    return NULL;
  }
  const int rc = fg_hex_decode(hex, n, out, n / 2 + 1);
  if (rc < 0) {
    free(out);
    return NULL;
  }
  if (len != NULL) {
    *len = (size_t)rc;
  }
  return out;
}

void fg_test_skip(const char *what) {
  s_skipped++;
  printf("  (skipped: %s)\n", what);
}
