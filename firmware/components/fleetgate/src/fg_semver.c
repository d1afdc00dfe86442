#include "fleetgate/fg_semver.h"

#include <stddef.h>
#include <string.h>

#include "fleetgate/fg_err.h"

typedef struct {
  const char *p;
  size_t n;
} prv_span_t;

typedef struct {
  prv_span_t core[3];
  prv_span_t pre; /**< n == 0: no pre-release */
} prv_semver_t;

static bool prv_digit(char ch) { return ch >= '0' && ch <= '9'; }

static bool prv_ident_char(char ch) {
  return prv_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-';
}

static bool prv_all_digits(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!prv_digit(p[i])) {
      return false;
    }
  }
  return true;
}

/* A numeric identifier: digits, no leading zero (except "0"). */
static bool prv_number_ok(const char *p, size_t n) {
  return n > 0 && prv_all_digits(p, n) && (n == 1 || p[0] != '0');
}

/* Dot-separated non-empty identifiers; numeric ones without leading zeros if `strict_numbers`. */
static bool prv_idents_ok(const char *p, size_t n, bool strict_numbers) {
  if (n == 0) {
    return false;
  }
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || p[i] == '.') {
      const size_t len = i - start;
      if (len == 0) {
        return false;
      }
      if (strict_numbers && prv_all_digits(p + start, len) && !prv_number_ok(p + start, len)) {
        return false;
      }
      start = i + 1;
    } else if (!prv_ident_char(p[i])) {
      return false;
    }
  }
  return true;
}

static int prv_parse(const char *v, prv_semver_t *out) {
  size_t len = 0;
  while (len <= FG_SEMVER_MAX_LEN && v[len] != '\0') {
    len++;
  }
  if (len == 0 || len > FG_SEMVER_MAX_LEN) {
    return FG_ERR_FORMAT;
  }
  size_t end = len;
  const char *plus = memchr(v, '+', len);
  if (plus != NULL) {
    end = (size_t)(plus - v);
    if (!prv_idents_ok(plus + 1, len - end - 1, false)) {
      return FG_ERR_FORMAT;
    }
  }
  const char *dash = memchr(v, '-', end);
  size_t core_end = end;
  out->pre.p = NULL;
  out->pre.n = 0;
  if (dash != NULL) {
    core_end = (size_t)(dash - v);
    out->pre.p = dash + 1;
    out->pre.n = end - core_end - 1;
    if (!prv_idents_ok(out->pre.p, out->pre.n, true)) {
      return FG_ERR_FORMAT;
    }
  }
  size_t start = 0;
  int part = 0;
  for (size_t i = 0; i <= core_end; i++) {
    if (i == core_end || v[i] == '.') {
      if (part >= 3 || !prv_number_ok(v + start, i - start)) {
        return FG_ERR_FORMAT;
      }
      out->core[part].p = v + start;
      out->core[part].n = i - start;
      part++;
      start = i + 1;
    }
  }
  return part == 3 ? FG_OK : FG_ERR_FORMAT;
}

/* Numeric strings without leading zeros: longer is larger, else lexical. */
static int prv_num_cmp(prv_span_t a, prv_span_t b) {
  if (a.n != b.n) {
    return a.n < b.n ? -1 : 1;
  }
  const int c = memcmp(a.p, b.p, a.n);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

static int prv_ascii_cmp(prv_span_t a, prv_span_t b) {
  const size_t n = a.n < b.n ? a.n : b.n;
  const int c = memcmp(a.p, b.p, n);
  if (c != 0) {
    return c < 0 ? -1 : 1;
  }
  return a.n == b.n ? 0 : (a.n < b.n ? -1 : 1);
}

/* Next dot-separated identifier of *rest (consumed). */
static prv_span_t prv_next_ident(prv_span_t *rest) {
  prv_span_t id = {rest->p, 0};
  while (id.n < rest->n && rest->p[id.n] != '.') {
    id.n++;
  }
  const size_t used = id.n < rest->n ? id.n + 1 : id.n;
  rest->p += used;
  rest->n -= used;
  return id;
}

static int prv_pre_cmp(prv_span_t a, prv_span_t b) {
  if (a.n == 0 || b.n == 0) {
    /* a version without pre-release has higher precedence than one with */
    return a.n == b.n ? 0 : (a.n == 0 ? 1 : -1);
  }
  while (a.n > 0 && b.n > 0) {
    const prv_span_t x = prv_next_ident(&a);
    const prv_span_t y = prv_next_ident(&b);
    const bool xn = prv_all_digits(x.p, x.n);
    const bool yn = prv_all_digits(y.p, y.n);
    int c;
    if (xn && yn) {
      c = prv_num_cmp(x, y);
    } else if (xn != yn) {
      c = xn ? -1 : 1; /* numeric identifiers have lower precedence */
    } else {
      c = prv_ascii_cmp(x, y);
    }
    if (c != 0) {
      return c;
    }
  }
  /* all equal so far: the larger set of identifiers wins */
  return a.n == b.n ? 0 : (a.n == 0 ? -1 : 1);
}

bool fg_semver_valid(const char *v) {
  prv_semver_t s;
  return v != NULL && prv_parse(v, &s) == FG_OK;
}

int fg_semver_cmp(const char *a, const char *b, int *out) {
  if (a == NULL || b == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  prv_semver_t x;
  prv_semver_t y;
  if (prv_parse(a, &x) != FG_OK || prv_parse(b, &y) != FG_OK) {
    return FG_ERR_FORMAT;
  }
  for (int i = 0; i < 3; i++) {
    const int c = prv_num_cmp(x.core[i], y.core[i]);
    if (c != 0) {
      *out = c;
      return FG_OK;
    }
  }
  *out = prv_pre_cmp(x.pre, y.pre);
  return FG_OK;
}
