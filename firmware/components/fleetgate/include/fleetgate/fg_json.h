/**
 * @file fg_json.h
 * @brief A tiny JSON tokenizer (reader) and a bounded JSON writer, both without heap.
 *
 * Reader: fg_json_parse() validates a whole document (RFC 8259 grammar, nesting <= 32) and fills
 * a caller-provided token array; tokens point into the caller's text (no copies). Lookups walk
 * the array. Enough for the handful of gateway answers a device reads; not a DOM.
 *
 * Writer: appends to a caller buffer; the first error (overflow, bad nesting) is sticky and
 * reported by fg_jsonw_finish(), so call sites need no per-call checks.
 */
#ifndef FLEETGATE_FG_JSON_H
#define FLEETGATE_FG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  FG_JSON_OBJECT = 1,
  FG_JSON_ARRAY,
  FG_JSON_STRING,
  FG_JSON_NUMBER,
  FG_JSON_TRUE,
  FG_JSON_FALSE,
  FG_JSON_NULL,
} fg_json_type_t;

typedef struct {
  uint8_t type;  /**< fg_json_type_t */
  uint32_t start; /**< offset of the first byte (for strings: after the opening quote) */
  uint32_t end;   /**< offset one past the last byte (for strings: the closing quote) */
  uint32_t size;  /**< objects: number of members; arrays: elements; else 0 */
  uint32_t next;  /**< index of the token after this one's whole subtree */
} fg_json_tok_t;

typedef struct {
  const char *text;
  size_t len;
  fg_json_tok_t *toks;
  size_t count;
} fg_json_doc_t;

/**
 * Parses text[0..len) into toks (at most cap tokens). Token 0 is the root. Object members are
 * stored as key token (a string) followed by the value's subtree.
 * @return the token count or FG_ERR_FORMAT / FG_ERR_BUFFER_TOO_SMALL.
 */
int fg_json_parse(fg_json_doc_t *doc, const char *text, size_t len, fg_json_tok_t *toks,
                  size_t cap);

/** Index of the value of `key` in object token obj, or FG_ERR_NOT_FOUND / FG_ERR_FORMAT. */
int fg_json_obj_get(const fg_json_doc_t *doc, int obj, const char *key);

/** Index of element i of array token arr, or FG_ERR_NOT_FOUND. */
int fg_json_arr_get(const fg_json_doc_t *doc, int arr, size_t i);

/** For iterating an object: index of the i-th member's key token (value is key+1). */
int fg_json_obj_key_at(const fg_json_doc_t *doc, int obj, size_t i);

/** True if token tok is a string equal to s (escape-free comparison; keys are plain ASCII). */
bool fg_json_str_eq(const fg_json_doc_t *doc, int tok, const char *s);

/**
 * Copies the unescaped string value (UTF-8, \uXXXX and surrogate pairs decoded) plus a NUL.
 * A string holding \u0000 is FG_ERR_FORMAT (C strings cannot carry it without truncation).
 * @return the byte length (without NUL) or a negative FG_ERR_*.
 */
int fg_json_get_str(const fg_json_doc_t *doc, int tok, char *out, size_t cap);

/** Raw (still escaped) bytes of a string token: no copy. */
int fg_json_str_raw(const fg_json_doc_t *doc, int tok, const char **p, size_t *len);

int fg_json_get_double(const fg_json_doc_t *doc, int tok, double *out);
/** Integer value; FG_ERR_RANGE for fractions, exponents that leave the range, or overflow. */
int fg_json_get_i64(const fg_json_doc_t *doc, int tok, int64_t *out);
int fg_json_get_u32(const fg_json_doc_t *doc, int tok, uint32_t *out);
int fg_json_get_bool(const fg_json_doc_t *doc, int tok, bool *out);

/* Convenience: look up key in obj and convert; FG_ERR_NOT_FOUND if absent. */
int fg_json_obj_str(const fg_json_doc_t *doc, int obj, const char *key, char *out, size_t cap);
int fg_json_obj_i64(const fg_json_doc_t *doc, int obj, const char *key, int64_t *out);
int fg_json_obj_u32(const fg_json_doc_t *doc, int obj, const char *key, uint32_t *out);
int fg_json_obj_double(const fg_json_doc_t *doc, int obj, const char *key, double *out);
int fg_json_obj_bool(const fg_json_doc_t *doc, int obj, const char *key, bool *out);

/* ---- writer ------------------------------------------------------------------------------ */

#define FG_JSONW_MAX_DEPTH 16

typedef struct {
  char *buf;
  size_t cap;
  size_t len;
  int err;
  uint8_t depth;
  uint8_t after_key;
  uint16_t has_items; /**< bit d set when container at depth d already has an item */
} fg_jsonw_t;

void fg_jsonw_init(fg_jsonw_t *w, char *buf, size_t cap);
void fg_jsonw_obj_begin(fg_jsonw_t *w);
void fg_jsonw_obj_end(fg_jsonw_t *w);
void fg_jsonw_arr_begin(fg_jsonw_t *w);
void fg_jsonw_arr_end(fg_jsonw_t *w);
void fg_jsonw_key(fg_jsonw_t *w, const char *key);
void fg_jsonw_str(fg_jsonw_t *w, const char *s);
void fg_jsonw_strn(fg_jsonw_t *w, const char *s, size_t n);
void fg_jsonw_i64(fg_jsonw_t *w, int64_t v);
void fg_jsonw_u64(fg_jsonw_t *w, uint64_t v);
/** Shortest of %.15g/%.16g/%.17g that round-trips; NaN/Inf are written as null. */
void fg_jsonw_double(fg_jsonw_t *w, double v);
void fg_jsonw_bool(fg_jsonw_t *w, bool v);
void fg_jsonw_null(fg_jsonw_t *w);
/** A pre-serialized JSON value, appended verbatim. */
void fg_jsonw_raw(fg_jsonw_t *w, const char *json, size_t n);
/** NUL-terminates; returns the length or the first error. */
int fg_jsonw_finish(fg_jsonw_t *w);

/** Formats a double as the writer does (shortest round-trip). Returns length or error. */
int fg_json_fmt_double(double v, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
