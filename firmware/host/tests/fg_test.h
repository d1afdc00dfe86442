/**
 * Minimal test harness: each test file is one executable; FG_CHECK* record failures and keep
 * going; fg_test_main() prints "N passed, N failed" and returns non-zero on any failure.
 */
#ifndef FG_TEST_H
#define FG_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int fg_test_failures;
extern int fg_test_checks;

#define FG_CHECK(cond)                                                              \
  do {                                                                              \
    fg_test_checks++;                                                               \
    if (!(cond)) {                                                                  \
      fg_test_failures++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
    }                                                                               \
  } while (0)

#define FG_CHECK_EQ(a, b)                                                           \
  do {                                                                              \
    const long long fg_a_ = (long long)(a);                                         \
    const long long fg_b_ = (long long)(b);                                         \
    fg_test_checks++;                                                               \
    if (fg_a_ != fg_b_) {                                                           \
      fg_test_failures++;                                                           \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
              #a, #b, fg_a_, fg_b_);                                                \
    }                                                                               \
  } while (0)

#define FG_CHECK_STR(a, b)                                                          \
  do {                                                                              \
    const char *fg_a_ = (a);                                                        \
    const char *fg_b_ = (b);                                                        \
    fg_test_checks++;                                                               \
    if (fg_a_ == NULL || fg_b_ == NULL || strcmp(fg_a_, fg_b_) != 0) {              \
      fg_test_failures++;                                                           \
      fprintf(stderr, "%s:%d: %s == %s failed:\n  \"%s\"\n  \"%s\"\n", __FILE__,    \
              __LINE__, #a, #b, fg_a_ ? fg_a_ : "(null)", fg_b_ ? fg_b_ : "(null)"); \
    }                                                                               \
  } while (0)

#define FG_CHECK_MEM(a, b, n)                                                       \
  do {                                                                              \
    fg_test_checks++;                                                               \
    if (memcmp((a), (b), (n)) != 0) {                                               \
      fg_test_failures++;                                                           \
      fprintf(stderr, "%s:%d: memory %s != %s (%zu bytes)\n", __FILE__, __LINE__,   \
              #a, #b, (size_t)(n));                                                 \
    }                                                                               \
  } while (0)

typedef void (*fg_test_fn)(void);
typedef struct {
  const char *name;
  fg_test_fn fn;
} fg_test_case_t;

#define FG_TEST_CASE(fn) {#fn, fn}

int fg_test_run(const char *suite, const fg_test_case_t *cases, size_t n);

/* Helpers for the vector files in tests/vectors (shared with the TypeScript tests); loading them:
 * fg_test_vectors.h. */
/** Decodes hex into a malloc'd buffer; NULL on bad hex. */
uint8_t *fg_test_hex(const char *hex, size_t *len);
/** Writes a message that a test was skipped because a file is missing. */
void fg_test_skip(const char *what);

#endif
