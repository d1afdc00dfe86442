#define _GNU_SOURCE
#include "fg_samples.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fg_host_file.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_json.h"

static void prv_name(const char *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n && o < FG_FRAME_NAME_MAX; i++) {
    const char c = (char)tolower((unsigned char)in[i]);
    out[o++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  out[o] = '\0';
}

static int prv_grow(fg_samples_t *s, size_t *cap) {
  if (s->n_samples < *cap) {
    return 0;
  }
  *cap = *cap == 0 ? 256 : *cap * 2;
  uint32_t *ts = (uint32_t *)realloc(s->ts, *cap * sizeof(uint32_t));
  if (ts == NULL) {
    return -1;
  }
  s->ts = ts;
  double *v = (double *)realloc(s->values, *cap * (s->n_fields ? s->n_fields : 1) * sizeof(double));
  if (v == NULL) {
    return -1;
  }
  s->values = v;
  return 0;
}

static const char *prv_json(char *text, size_t len, size_t limit, fg_samples_t *s) {
  /* tokens: generous upper bound from the text size */
  const size_t cap = len / 2 + 16;
  fg_json_tok_t *toks = (fg_json_tok_t *)malloc(cap * sizeof(fg_json_tok_t));
  fg_json_doc_t doc;
  if (toks == NULL || fg_json_parse(&doc, text, len, toks, cap) <= 0) {
    free(toks);
    return "samples: not valid JSON";
  }
  int arr = 0;
  if (toks[0].type == FG_JSON_OBJECT) {
    arr = fg_json_obj_get(&doc, 0, "aggregated_data");
    if (arr < 0) {
      arr = fg_json_obj_get(&doc, 0, "samples");
    }
  }
  if (arr < 0 || toks[arr].type != FG_JSON_ARRAY || toks[arr].size == 0) {
    free(toks);
    return "samples: expected a non-empty JSON array of objects";
  }
  const int first = fg_json_arr_get(&doc, arr, 0);
  if (toks[first].type != FG_JSON_OBJECT) {
    free(toks);
    return "samples: expected objects";
  }
  /* field order from the first sample's keys */
  for (uint32_t i = 0; i < toks[first].size; i++) {
    const int k = fg_json_obj_key_at(&doc, first, i);
    if (fg_json_str_eq(&doc, k, "timestamp")) {
      continue;
    }
    if (s->n_fields >= FG_FRAME_MAX_FIELDS) {
      free(toks);
      return "samples: more than 32 fields";
    }
    const char *p;
    size_t n;
    fg_json_str_raw(&doc, k, &p, &n);
    prv_name(p, n, s->names[s->n_fields++]);
  }
  size_t cap_rows = 0;
  const size_t count = toks[arr].size;
  for (size_t r = 0; r < count && (limit == 0 || s->n_samples < limit); r++) {
    const int o = fg_json_arr_get(&doc, arr, r);
    if (prv_grow(s, &cap_rows) != 0) {
      free(toks);
      return "out of memory";
    }
    int64_t ts = 0;
    if (fg_json_obj_i64(&doc, o, "timestamp", &ts) != 0 || ts < 0 || ts > 0xFFFFFFFFLL) {
      free(toks);
      return "samples: every sample needs an integer timestamp";
    }
    s->ts[s->n_samples] = (uint32_t)ts;
    for (uint32_t f = 0; f < s->n_fields; f++) {
      /* keys were normalised; look up by scanning the object's keys the same way */
      double v = NAN;
      for (uint32_t i = 0; i < toks[o].size; i++) {
        const int k = fg_json_obj_key_at(&doc, o, i);
        const char *p;
        size_t n;
        fg_json_str_raw(&doc, k, &p, &n);
        char nm[FG_FRAME_NAME_MAX + 1];
        prv_name(p, n, nm);
        if (strcmp(nm, s->names[f]) == 0) {
          fg_json_get_double(&doc, k + 1, &v);
          break;
        }
      }
      if (isnan(v)) {
        free(toks);
        return "samples: a sample lacks a field of the first sample";
      }
      s->values[s->n_samples * s->n_fields + f] = v;
    }
    s->n_samples++;
  }
  free(toks);
  return NULL;
}

static const char *prv_csv(char *text, size_t limit, fg_samples_t *s) {
  char *save = NULL;
  char *line = strtok_r(text, "\r\n", &save);
  if (line == NULL) {
    return "samples: empty CSV";
  }
  const char sep = strchr(line, ';') != NULL ? ';' : ',';
  int col_ts = -1, col_date = -1, col_time = -1;
  int col_field[64];
  int ncols = 0;
  char seps[2] = {sep, '\0'};
  char *hsave = NULL;
  for (char *h = strtok_r(line, seps, &hsave); h != NULL && ncols < 64; h = strtok_r(NULL, seps, &hsave)) {
    char nm[FG_FRAME_NAME_MAX + 1];
    prv_name(h, strlen(h), nm);
    col_field[ncols] = -1;
    if (strcmp(nm, "timestamp") == 0) {
      col_ts = ncols;
    } else if (strcmp(nm, "date") == 0) {
      col_date = ncols;
    } else if (strcmp(nm, "time") == 0) {
      col_time = ncols;
    } else if (s->n_fields < FG_FRAME_MAX_FIELDS) {
      col_field[ncols] = (int)s->n_fields;
      strcpy(s->names[s->n_fields++], nm);
    }
    ncols++;
  }
  if (col_ts < 0 && (col_date < 0 || col_time < 0)) {
    return "samples: CSV needs a timestamp column or Date and Time columns";
  }
  size_t cap_rows = 0;
  while ((line = strtok_r(NULL, "\r\n", &save)) != NULL && (limit == 0 || s->n_samples < limit)) {
    if (strchr(line, '?') != NULL) {
      continue;
    }
    if (prv_grow(s, &cap_rows) != 0) {
      return "out of memory";
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    long long ts = -1;
    int ok = 1;
    int col = 0;
    char *cell = line;
    while (cell != NULL && col < ncols) {
      char *next = strchr(cell, sep);
      if (next != NULL) {
        *next++ = '\0';
      }
      if (*cell == '\0') {
        ok = 0;
      } else if (col == col_ts) {
        ts = strtoll(cell, NULL, 10);
      } else if (col == col_date) {
        ok &= sscanf(cell, "%d/%d/%d", &tm.tm_mday, &tm.tm_mon, &tm.tm_year) == 3;
        tm.tm_mon -= 1;
        tm.tm_year -= 1900;
      } else if (col == col_time) {
        ok &= sscanf(cell, "%d:%d:%d", &tm.tm_hour, &tm.tm_min, &tm.tm_sec) >= 2;
      } else if (col_field[col] >= 0) {
        s->values[s->n_samples * s->n_fields + (size_t)col_field[col]] = strtod(cell, NULL);
      }
      cell = next;
      col++;
    }
    if (!ok || col < ncols) {
      continue;
    }
    if (col_ts < 0) {
      ts = (long long)timegm(&tm);
    }
    if (ts < 0 || ts > 0xFFFFFFFFLL) {
      continue;
    }
    s->ts[s->n_samples++] = (uint32_t)ts;
  }
  return s->n_samples == 0 ? "samples: no usable rows" : NULL;
}

const char *fg_samples_load(const char *path, size_t limit, fg_samples_t *s) {
  memset(s, 0, sizeof(*s));
  size_t len = 0;
  char *text = fg_host_read_file(path, &len);
  if (text == NULL) {
    return "samples: cannot read the file";
  }
  size_t i = 0;
  while (i < len && isspace((unsigned char)text[i])) {
    i++;
  }
  const char *err = (i < len && (text[i] == '[' || text[i] == '{')) ? prv_json(text, len, limit, s)
                                                                     : prv_csv(text, limit, s);
  free(text);
  if (err != NULL) {
    fg_samples_free(s);
  }
  return err;
}

void fg_samples_free(fg_samples_t *s) {
  free(s->ts);
  free(s->values);
  memset(s, 0, sizeof(*s));
}

int fg_samples_frame(const fg_samples_t *s, size_t first, size_t count, uint8_t **frame,
                     fg_frame_layout_t *l) {
  if (first + count > s->n_samples || count == 0 || count > FG_FRAME_MAX_SAMPLES) {
    return FG_ERR_RANGE;
  }
  memset(l, 0, sizeof(*l));
  l->field_count = (uint8_t)s->n_fields;
  l->sample_count = (uint16_t)count;
  for (uint32_t f = 0; f < s->n_fields; f++) {
    strcpy(l->fields[f].name, s->names[f]);
    int dec = 0;
    for (size_t r = first; r < first + count; r++) {
      const int d = fg_frame_decimals(s->values[r * s->n_fields + f]);
      dec = d > dec ? d : dec;
    }
    l->fields[f].scale_exp = (int8_t)-dec;
  }
  const size_t size = fg_frame_size(l);
  if (size == 0) {
    return FG_ERR_TOO_LARGE;
  }
  *frame = (uint8_t *)malloc(size);
  if (*frame == NULL) {
    return FG_ERR_IO;
  }
  int rc = fg_frame_init(*frame, size, l);
  for (size_t r = 0; rc >= 0 && r < count; r++) {
    fg_frame_put_ts(*frame, l, (uint32_t)r, s->ts[first + r]);
    for (uint32_t f = 0; f < s->n_fields && rc >= 0; f++) {
      const int prc = fg_frame_put_value(*frame, l, f, (uint32_t)r, s->values[(first + r) * s->n_fields + f]);
      if (prc < 0) {
        rc = prc;
      }
    }
  }
  if (rc < 0) {
    free(*frame);
    *frame = NULL;
  }
  return rc;
}

char *fg_samples_aggregated_json(const fg_samples_t *s, size_t first, size_t count, size_t *len) {
  const size_t cap = 64 + count * (24 + s->n_fields * 56);
  char *buf = (char *)malloc(cap);
  if (buf == NULL) {
    return NULL;
  }
  fg_jsonw_t w;
  fg_jsonw_init(&w, buf, cap);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "aggregated_data");
  fg_jsonw_arr_begin(&w);
  for (size_t r = first; r < first + count && r < s->n_samples; r++) {
    fg_jsonw_obj_begin(&w);
    for (uint32_t f = 0; f < s->n_fields; f++) {
      fg_jsonw_key(&w, s->names[f]);
      fg_jsonw_double(&w, s->values[r * s->n_fields + f]);
    }
    fg_jsonw_key(&w, "timestamp");
    fg_jsonw_u64(&w, s->ts[r]);
    fg_jsonw_obj_end(&w);
  }
  fg_jsonw_arr_end(&w);
  fg_jsonw_obj_end(&w);
  const int n = fg_jsonw_finish(&w);
  if (n < 0) {
    free(buf);
    return NULL;
  }
  *len = (size_t)n;
  return buf;
}
