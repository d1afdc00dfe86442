#include "fleetgate/fg_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetgate/fg_err.h"

#define PRV_MAX_DEPTH 32

typedef struct {
  const char *s;
  size_t len;
  size_t pos;
  fg_json_tok_t *toks;
  size_t cap;
  size_t count;
  int err;
} prv_parser_t;

static void prv_ws(prv_parser_t *p) {
  while (p->pos < p->len) {
    const char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      break;
    }
    p->pos++;
  }
}

static int prv_alloc(prv_parser_t *p, fg_json_type_t type, size_t start) {
  if (p->count >= p->cap) {
    p->err = FG_ERR_BUFFER_TOO_SMALL;
    return -1;
  }
  fg_json_tok_t *t = &p->toks[p->count];
  t->type = (uint8_t)type;
  t->start = (uint32_t)start;
  t->end = (uint32_t)start;
  t->size = 0;
  t->next = (uint32_t)(p->count + 1);
  return (int)p->count++;
}

static int prv_hex4(const char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    const char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= (uint32_t)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= (uint32_t)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= (uint32_t)(c - 'A' + 10);
    } else {
      return -1;
    }
  }
  *out = v;
  return 0;
}

static int prv_string(prv_parser_t *p) {
  /* p->pos at the opening quote */
  p->pos++;
  const int t = prv_alloc(p, FG_JSON_STRING, p->pos);
  if (t < 0) {
    return -1;
  }
  while (p->pos < p->len) {
    const unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"') {
      p->toks[t].end = (uint32_t)p->pos;
      p->pos++;
      return 0;
    }
    if (c < 0x20) {
      break;
    }
    if (c == '\\') {
      if (p->pos + 1 >= p->len) {
        break;
      }
      const char e = p->s[p->pos + 1];
      if (e == 'u') {
        uint32_t v;
        if (p->pos + 6 > p->len || prv_hex4(&p->s[p->pos + 2], &v) != 0) {
          break;
        }
        p->pos += 6;
        continue;
      }
      if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') {
        break;
      }
      p->pos += 2;
      continue;
    }
    p->pos++;
  }
  p->err = FG_ERR_FORMAT;
  return -1;
}

static int prv_number(prv_parser_t *p) {
  const size_t start = p->pos;
  size_t i = p->pos;
  if (i < p->len && p->s[i] == '-') {
    i++;
  }
  if (i >= p->len) {
    goto bad;
  }
  if (p->s[i] == '0') {
    i++;
  } else if (p->s[i] >= '1' && p->s[i] <= '9') {
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
      i++;
    }
  } else {
    goto bad;
  }
  if (i < p->len && p->s[i] == '.') {
    i++;
    const size_t d = i;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
      i++;
    }
    if (i == d) {
      goto bad;
    }
  }
  if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
    i++;
    if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) {
      i++;
    }
    const size_t d = i;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
      i++;
    }
    if (i == d) {
      goto bad;
    }
  }
  {
    const int t = prv_alloc(p, FG_JSON_NUMBER, start);
    if (t < 0) {
      return -1;
    }
    p->toks[t].end = (uint32_t)i;
    p->pos = i;
    return 0;
  }
bad:
  p->err = FG_ERR_FORMAT;
  return -1;
}

static int prv_literal(prv_parser_t *p, const char *word, fg_json_type_t type) {
  const size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(&p->s[p->pos], word, n) != 0) {
    p->err = FG_ERR_FORMAT;
    return -1;
  }
  const int t = prv_alloc(p, type, p->pos);
  if (t < 0) {
    return -1;
  }
  p->pos += n;
  p->toks[t].end = (uint32_t)p->pos;
  return 0;
}

static int prv_value(prv_parser_t *p, int depth);

static int prv_container(prv_parser_t *p, int depth, int is_obj) {
  if (depth >= PRV_MAX_DEPTH) {
    p->err = FG_ERR_FORMAT;
    return -1;
  }
  const int t = prv_alloc(p, is_obj ? FG_JSON_OBJECT : FG_JSON_ARRAY, p->pos);
  if (t < 0) {
    return -1;
  }
  const char close = is_obj ? '}' : ']';
  p->pos++;
  prv_ws(p);
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->toks[t].end = (uint32_t)p->pos;
    p->toks[t].next = (uint32_t)p->count;
    return 0;
  }
  for (;;) {
    prv_ws(p);
    if (is_obj) {
      if (p->pos >= p->len || p->s[p->pos] != '"' || prv_string(p) != 0) {
        if (p->err == 0) {
          p->err = FG_ERR_FORMAT;
        }
        return -1;
      }
      prv_ws(p);
      if (p->pos >= p->len || p->s[p->pos] != ':') {
        p->err = FG_ERR_FORMAT;
        return -1;
      }
      p->pos++;
    }
    if (prv_value(p, depth + 1) != 0) {
      return -1;
    }
    p->toks[t].size++;
    prv_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->s[p->pos] == close) {
      p->pos++;
      p->toks[t].end = (uint32_t)p->pos;
      p->toks[t].next = (uint32_t)p->count;
      return 0;
    }
    p->err = FG_ERR_FORMAT;
    return -1;
  }
}

static int prv_value(prv_parser_t *p, int depth) {
  prv_ws(p);
  if (p->pos >= p->len) {
    p->err = FG_ERR_FORMAT;
    return -1;
  }
  switch (p->s[p->pos]) {
    case '{': return prv_container(p, depth, 1);
    case '[': return prv_container(p, depth, 0);
    case '"': return prv_string(p);
    case 't': return prv_literal(p, "true", FG_JSON_TRUE);
    case 'f': return prv_literal(p, "false", FG_JSON_FALSE);
    case 'n': return prv_literal(p, "null", FG_JSON_NULL);
    default: return prv_number(p);
  }
}

int fg_json_parse(fg_json_doc_t *doc, const char *text, size_t len, fg_json_tok_t *toks,
                  size_t cap) {
  if (doc == NULL || text == NULL || toks == NULL || cap == 0 || len > 0x7FFFFFFF) {
    return FG_ERR_INVALID_ARG;
  }
  prv_parser_t p = {.s = text, .len = len, .pos = 0, .toks = toks, .cap = cap, .count = 0, .err = 0};
  doc->text = text;
  doc->len = len;
  doc->toks = toks;
  doc->count = 0;
  if (prv_value(&p, 0) != 0) {
    return p.err != 0 ? p.err : FG_ERR_FORMAT;
  }
  prv_ws(&p);
  if (p.pos != len) {
    return FG_ERR_FORMAT;
  }
  doc->count = p.count;
  return (int)p.count;
}

static bool prv_valid(const fg_json_doc_t *doc, int tok) {
  return doc != NULL && tok >= 0 && (size_t)tok < doc->count;
}

int fg_json_obj_key_at(const fg_json_doc_t *doc, int obj, size_t i) {
  if (!prv_valid(doc, obj) || doc->toks[obj].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  if (i >= doc->toks[obj].size) {
    return FG_ERR_NOT_FOUND;
  }
  size_t k = (size_t)obj + 1;
  for (size_t n = 0; n < i; n++) {
    k = doc->toks[k + 1].next; /* skip key and value subtree */
  }
  return (int)k;
}

int fg_json_obj_get(const fg_json_doc_t *doc, int obj, const char *key) {
  if (!prv_valid(doc, obj) || key == NULL || doc->toks[obj].type != FG_JSON_OBJECT) {
    return FG_ERR_FORMAT;
  }
  size_t k = (size_t)obj + 1;
  for (uint32_t n = 0; n < doc->toks[obj].size; n++) {
    if (fg_json_str_eq(doc, (int)k, key)) {
      return (int)k + 1;
    }
    k = doc->toks[k + 1].next;
  }
  return FG_ERR_NOT_FOUND;
}

int fg_json_arr_get(const fg_json_doc_t *doc, int arr, size_t i) {
  if (!prv_valid(doc, arr) || doc->toks[arr].type != FG_JSON_ARRAY) {
    return FG_ERR_FORMAT;
  }
  if (i >= doc->toks[arr].size) {
    return FG_ERR_NOT_FOUND;
  }
  size_t k = (size_t)arr + 1;
  for (size_t n = 0; n < i; n++) {
    k = doc->toks[k].next;
  }
  return (int)k;
}

bool fg_json_str_eq(const fg_json_doc_t *doc, int tok, const char *s) {
  if (!prv_valid(doc, tok) || s == NULL || doc->toks[tok].type != FG_JSON_STRING) {
    return false;
  }
  const fg_json_tok_t *t = &doc->toks[tok];
  const size_t n = t->end - t->start;
  return strlen(s) == n && memcmp(doc->text + t->start, s, n) == 0;
}

int fg_json_str_raw(const fg_json_doc_t *doc, int tok, const char **p, size_t *len) {
  if (!prv_valid(doc, tok) || p == NULL || len == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (doc->toks[tok].type != FG_JSON_STRING) {
    return FG_ERR_FORMAT;
  }
  *p = doc->text + doc->toks[tok].start;
  *len = doc->toks[tok].end - doc->toks[tok].start;
  return FG_OK;
}

static size_t prv_utf8(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

int fg_json_get_str(const fg_json_doc_t *doc, int tok, char *out, size_t cap) {
  const char *s;
  size_t n;
  int rc = fg_json_str_raw(doc, tok, &s, &n);
  if (rc != 0) {
    return rc;
  }
  if (out == NULL || cap == 0) {
    return FG_ERR_INVALID_ARG;
  }
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    char tmp[4];
    size_t tn = 1;
    if (s[i] != '\\') {
      tmp[0] = s[i];
      i++;
    } else {
      const char e = s[i + 1];
      i += 2;
      switch (e) {
        case 'b': tmp[0] = '\b'; break;
        case 'f': tmp[0] = '\f'; break;
        case 'n': tmp[0] = '\n'; break;
        case 'r': tmp[0] = '\r'; break;
        case 't': tmp[0] = '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (i + 4 > n || prv_hex4(&s[i], &cp) != 0) {
            return FG_ERR_FORMAT; /* the tokenizer checked it; a hand-made token is not trusted */
          }
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' || prv_hex4(&s[i + 2], &lo) != 0 ||
                lo < 0xDC00 || lo > 0xDFFF) {
              return FG_ERR_FORMAT;
            }
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            /* a lone low surrogate; or \u0000, which would end the C string early: a name
             * "po\u0000wer" must not compare equal to "po" */
            return FG_ERR_FORMAT;
          }
          tn = prv_utf8(cp, tmp);
          break;
        }
        default: tmp[0] = e; break; /* " \ / */
      }
    }
    if (o + tn + 1 > cap) {
      return FG_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(&out[o], tmp, tn);
    o += tn;
  }
  out[o] = '\0';
  return (int)o;
}

int fg_json_get_double(const fg_json_doc_t *doc, int tok, double *out) {
  if (!prv_valid(doc, tok) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const fg_json_tok_t *t = &doc->toks[tok];
  if (t->type != FG_JSON_NUMBER) {
    return FG_ERR_FORMAT;
  }
  char tmp[64];
  const size_t n = t->end - t->start;
  if (n >= sizeof(tmp)) {
    return FG_ERR_RANGE;
  }
  memcpy(tmp, doc->text + t->start, n);
  tmp[n] = '\0';
  *out = strtod(tmp, NULL);
  return FG_OK;
}

int fg_json_get_i64(const fg_json_doc_t *doc, int tok, int64_t *out) {
  if (!prv_valid(doc, tok) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const fg_json_tok_t *t = &doc->toks[tok];
  if (t->type != FG_JSON_NUMBER) {
    return FG_ERR_FORMAT;
  }
  const char *s = doc->text + t->start;
  const size_t n = t->end - t->start;
  if (memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL || memchr(s, 'E', n) != NULL) {
    double d;
    int rc = fg_json_get_double(doc, tok, &d);
    if (rc != 0) {
      return rc;
    }
    if (d != floor(d) || fabs(d) > 9007199254740992.0) {
      return FG_ERR_RANGE;
    }
    *out = (int64_t)d;
    return FG_OK;
  }
  size_t i = 0;
  const bool neg = s[0] == '-';
  if (neg) {
    i++;
  }
  uint64_t v = 0;
  for (; i < n; i++) {
    const uint64_t digit = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      return FG_ERR_RANGE;
    }
    v = v * 10 + digit;
  }
  if (!neg && v > (uint64_t)INT64_MAX) {
    return FG_ERR_RANGE;
  }
  if (neg && v > (uint64_t)INT64_MAX + 1) {
    return FG_ERR_RANGE;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return FG_OK;
}

int fg_json_get_u32(const fg_json_doc_t *doc, int tok, uint32_t *out) {
  int64_t v;
  const int rc = fg_json_get_i64(doc, tok, &v);
  if (rc != 0) {
    return rc;
  }
  if (v < 0 || v > (int64_t)UINT32_MAX) {
    return FG_ERR_RANGE;
  }
  *out = (uint32_t)v;
  return FG_OK;
}

int fg_json_get_bool(const fg_json_doc_t *doc, int tok, bool *out) {
  if (!prv_valid(doc, tok) || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  if (doc->toks[tok].type == FG_JSON_TRUE) {
    *out = true;
  } else if (doc->toks[tok].type == FG_JSON_FALSE) {
    *out = false;
  } else {
    return FG_ERR_FORMAT;
  }
  return FG_OK;
}

int fg_json_obj_str(const fg_json_doc_t *doc, int obj, const char *key, char *out, size_t cap) {
  const int v = fg_json_obj_get(doc, obj, key);
  return v < 0 ? v : fg_json_get_str(doc, v, out, cap);
}

int fg_json_obj_i64(const fg_json_doc_t *doc, int obj, const char *key, int64_t *out) {
  const int v = fg_json_obj_get(doc, obj, key);
  return v < 0 ? v : fg_json_get_i64(doc, v, out);
}

int fg_json_obj_u32(const fg_json_doc_t *doc, int obj, const char *key, uint32_t *out) {
  const int v = fg_json_obj_get(doc, obj, key);
  return v < 0 ? v : fg_json_get_u32(doc, v, out);
}

int fg_json_obj_double(const fg_json_doc_t *doc, int obj, const char *key, double *out) {
  const int v = fg_json_obj_get(doc, obj, key);
  return v < 0 ? v : fg_json_get_double(doc, v, out);
}

int fg_json_obj_bool(const fg_json_doc_t *doc, int obj, const char *key, bool *out) {
  const int v = fg_json_obj_get(doc, obj, key);
  return v < 0 ? v : fg_json_get_bool(doc, v, out);
}

/* ---- writer ------------------------------------------------------------------------------ */

void fg_jsonw_init(fg_jsonw_t *w, char *buf, size_t cap) {
  memset(w, 0, sizeof(*w));
  w->buf = buf;
  w->cap = cap;
  if (buf == NULL || cap == 0) {
    w->err = FG_ERR_INVALID_ARG;
  }
}

static void prv_put(fg_jsonw_t *w, const char *s, size_t n) {
  if (w->err != 0) {
    return;
  }
  if (w->len + n + 1 > w->cap) { /* keep room for the NUL */
    w->err = FG_ERR_BUFFER_TOO_SMALL;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

/* Separator before a value or key at the current level. */
static void prv_sep(fg_jsonw_t *w) {
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (w->depth > 0) {
    const uint16_t bit = (uint16_t)(1u << (w->depth - 1));
    if (w->has_items & bit) {
      prv_put(w, ",", 1);
    }
    w->has_items |= bit;
  }
}

static void prv_open(fg_jsonw_t *w, char c) {
  prv_sep(w);
  if (w->depth >= FG_JSONW_MAX_DEPTH) {
    if (w->err == 0) {
      w->err = FG_ERR_RANGE;
    }
    return;
  }
  prv_put(w, &c, 1);
  w->depth++;
  w->has_items &= (uint16_t) ~(1u << (w->depth - 1));
}

static void prv_close(fg_jsonw_t *w, char c) {
  if (w->depth == 0 || w->after_key) {
    if (w->err == 0) {
      w->err = FG_ERR_STATE;
    }
    return;
  }
  w->depth--;
  prv_put(w, &c, 1);
}

void fg_jsonw_obj_begin(fg_jsonw_t *w) { prv_open(w, '{'); }
void fg_jsonw_obj_end(fg_jsonw_t *w) { prv_close(w, '}'); }
void fg_jsonw_arr_begin(fg_jsonw_t *w) { prv_open(w, '['); }
void fg_jsonw_arr_end(fg_jsonw_t *w) { prv_close(w, ']'); }

static void prv_escaped(fg_jsonw_t *w, const char *s, size_t n) {
  prv_put(w, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    const unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    prv_put(w, s + run, i - run);
    run = i + 1;
    char esc[8];
    switch (c) {
      case '"': prv_put(w, "\\\"", 2); break;
      case '\\': prv_put(w, "\\\\", 2); break;
      case '\n': prv_put(w, "\\n", 2); break;
      case '\r': prv_put(w, "\\r", 2); break;
      case '\t': prv_put(w, "\\t", 2); break;
      default:
        (void)snprintf(esc, sizeof(esc), "\\u%04x", c);
        prv_put(w, esc, 6);
        break;
    }
  }
  prv_put(w, s + run, n - run);
  prv_put(w, "\"", 1);
}

void fg_jsonw_key(fg_jsonw_t *w, const char *key) {
  if (w->after_key) {
    if (w->err == 0) {
      w->err = FG_ERR_STATE;
    }
    return;
  }
  prv_sep(w);
  prv_escaped(w, key, strlen(key));
  prv_put(w, ":", 1);
  w->after_key = 1;
}

void fg_jsonw_strn(fg_jsonw_t *w, const char *s, size_t n) {
  prv_sep(w);
  prv_escaped(w, s, n);
}

void fg_jsonw_str(fg_jsonw_t *w, const char *s) { fg_jsonw_strn(w, s, strlen(s)); }

void fg_jsonw_i64(fg_jsonw_t *w, int64_t v) {
  char tmp[24];
  const int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
  prv_sep(w);
  prv_put(w, tmp, (size_t)n);
}

void fg_jsonw_u64(fg_jsonw_t *w, uint64_t v) {
  char tmp[24];
  const int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
  prv_sep(w);
  prv_put(w, tmp, (size_t)n);
}

int fg_json_fmt_double(double v, char *out, size_t cap) {
  if (out == NULL || cap < 32) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  if (isnan(v) || isinf(v)) {
    memcpy(out, "null", 5);
    return 4;
  }
  if (v == 0.0) {
    memcpy(out, "0", 2); /* also for -0.0: JSON readers disagree on "-0" */
    return 1;
  }
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(out, cap, "%.*g", prec, v);
    if (strtod(out, NULL) == v) {
      break;
    }
  }
  return n;
}

void fg_jsonw_double(fg_jsonw_t *w, double v) {
  char tmp[32];
  const int n = fg_json_fmt_double(v, tmp, sizeof(tmp));
  prv_sep(w);
  prv_put(w, tmp, (size_t)n);
}

void fg_jsonw_bool(fg_jsonw_t *w, bool v) {
  prv_sep(w);
  prv_put(w, v ? "true" : "false", v ? 4 : 5);
}

void fg_jsonw_null(fg_jsonw_t *w) {
  prv_sep(w);
  prv_put(w, "null", 4);
}

void fg_jsonw_raw(fg_jsonw_t *w, const char *json, size_t n) {
  prv_sep(w);
  prv_put(w, json, n);
}

int fg_jsonw_finish(fg_jsonw_t *w) {
  if (w->err == 0 && (w->depth != 0 || w->after_key)) {
    w->err = FG_ERR_STATE;
  }
  if (w->err != 0) {
    if (w->buf != NULL && w->cap > 0) {
      w->buf[0] = '\0';
    }
    return w->err;
  }
  w->buf[w->len] = '\0';
  return (int)w->len;
}
