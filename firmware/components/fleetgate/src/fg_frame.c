#include "fleetgate/fg_frame.h"

#include <math.h>
#include <string.h>

#include "fleetgate/fg_err.h"

static const double s_pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

static void prv_st32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t prv_ld32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

bool fg_frame_name_reserved(const char *name) {
  static const char *const reserved[] = FG_LIMIT_RESERVED_NAMES;
  for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
    if (strcmp(name, reserved[i]) == 0) {
      return true;
    }
  }
  return false;
}

bool fg_frame_name_valid(const char *name) {
  if (name == NULL) {
    return false;
  }
  const size_t n = strlen(name);
  if (n < 1 || n > FG_FRAME_NAME_MAX) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return !fg_frame_name_reserved(name);
}

static bool prv_layout_valid(const fg_frame_layout_t *l) {
  if (l == NULL || l->field_count > FG_FRAME_MAX_FIELDS || l->sample_count < 1) {
    return false;
  }
  for (uint32_t f = 0; f < l->field_count; f++) {
    if (!fg_frame_name_valid(l->fields[f].name) || l->fields[f].scale_exp < FG_FRAME_SCALE_MIN ||
        l->fields[f].scale_exp > FG_FRAME_SCALE_MAX) {
      return false;
    }
    for (uint32_t g = 0; g < f; g++) {
      if (strcmp(l->fields[f].name, l->fields[g].name) == 0) {
        return false;
      }
    }
  }
  return true;
}

size_t fg_frame_header_size(const fg_frame_layout_t *l) {
  if (!prv_layout_valid(l)) {
    return 0;
  }
  size_t h = 8;
  for (uint32_t f = 0; f < l->field_count; f++) {
    h += 2 + strlen(l->fields[f].name);
  }
  return (h + 3u) & ~(size_t)3u;
}

size_t fg_frame_size(const fg_frame_layout_t *l) {
  const size_t h = fg_frame_header_size(l);
  if (h == 0) {
    return 0;
  }
  const size_t total = h + 4u * (size_t)l->sample_count * ((size_t)l->field_count + 1u);
  return total > FG_FRAME_MAX_BYTES ? 0 : total;
}

int fg_frame_init(uint8_t *buf, size_t cap, const fg_frame_layout_t *l) {
  if (buf == NULL || l == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const size_t total = fg_frame_size(l);
  if (total == 0) {
    return prv_layout_valid(l) ? FG_ERR_TOO_LARGE : FG_ERR_BAD_FRAME;
  }
  if (cap < total) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memset(buf, 0, total);
  memcpy(buf, FG_FRAME_MAGIC, 4);
  buf[4] = FG_FRAME_VERSION;
  buf[5] = l->field_count;
  buf[6] = (uint8_t)l->sample_count;
  buf[7] = (uint8_t)(l->sample_count >> 8);
  size_t o = 8;
  for (uint32_t f = 0; f < l->field_count; f++) {
    const size_t n = strlen(l->fields[f].name);
    buf[o++] = (uint8_t)n;
    memcpy(buf + o, l->fields[f].name, n);
    o += n;
    buf[o++] = (uint8_t)l->fields[f].scale_exp;
  }
  return (int)total;
}

static uint8_t *prv_col(uint8_t *frame, const fg_frame_layout_t *l, uint32_t col) {
  return frame + fg_frame_header_size(l) + 4u * (size_t)l->sample_count * col;
}

void fg_frame_put_ts(uint8_t *frame, const fg_frame_layout_t *l, uint32_t i, uint32_t ts) {
  prv_st32(prv_col(frame, l, 0) + 4u * i, ts);
}

void fg_frame_put_raw(uint8_t *frame, const fg_frame_layout_t *l, uint32_t field, uint32_t i,
                      int32_t raw) {
  prv_st32(prv_col(frame, l, field + 1u) + 4u * i, (uint32_t)raw);
}

int fg_frame_put_value(uint8_t *frame, const fg_frame_layout_t *l, uint32_t field, uint32_t i,
                       double value) {
  if (!isfinite(value) || field >= l->field_count) {
    return FG_ERR_RANGE;
  }
  const int8_t e = l->fields[field].scale_exp;
  const double scaled = e < 0 ? value * s_pow10[-e] : value / s_pow10[e];
  const double r = round(scaled); /* half away from zero */
  if (r < -2147483648.0 || r > 2147483647.0) {
    return FG_ERR_RANGE;
  }
  fg_frame_put_raw(frame, l, field, i, (int32_t)r);
  return FG_OK;
}

int fg_frame_decimals(double value) {
  if (!isfinite(value)) {
    return 0;
  }
  for (int d = 0; d < 6; d++) {
    const double x = value * s_pow10[d];
    if (fabs(x - round(x)) <= 1e-9 * fmax(1.0, fabs(x))) {
      return d;
    }
  }
  return 6;
}

int fg_frame_parse(const uint8_t *buf, size_t len, bool exact, fg_frame_view_t *v) {
  if (v == NULL || (buf == NULL && len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  memset(v, 0, sizeof(*v));
  if (len < 8 || memcmp(buf, FG_FRAME_MAGIC, 4) != 0 || buf[4] != FG_FRAME_VERSION) {
    return FG_ERR_BAD_FRAME;
  }
  fg_frame_layout_t *l = &v->layout;
  l->field_count = buf[5];
  l->sample_count = (uint16_t)(buf[6] | (buf[7] << 8));
  if (l->field_count > FG_FRAME_MAX_FIELDS || l->sample_count < 1) {
    return FG_ERR_BAD_FRAME;
  }
  size_t o = 8;
  for (uint32_t f = 0; f < l->field_count; f++) {
    if (o >= len) {
      return FG_ERR_BAD_FRAME;
    }
    const size_t n = buf[o];
    if (n < 1 || n > FG_FRAME_NAME_MAX || o + 1 + n + 1 > len) {
      return FG_ERR_BAD_FRAME;
    }
    memcpy(l->fields[f].name, buf + o + 1, n);
    l->fields[f].name[n] = '\0';
    if (!fg_frame_name_valid(l->fields[f].name)) {
      return FG_ERR_BAD_FRAME;
    }
    for (uint32_t g = 0; g < f; g++) {
      if (strcmp(l->fields[f].name, l->fields[g].name) == 0) {
        return FG_ERR_BAD_FRAME;
      }
    }
    l->fields[f].scale_exp = (int8_t)buf[o + 1 + n];
    if (l->fields[f].scale_exp < FG_FRAME_SCALE_MIN || l->fields[f].scale_exp > FG_FRAME_SCALE_MAX) {
      return FG_ERR_BAD_FRAME;
    }
    o += 2 + n;
  }
  const size_t h = (o + 3u) & ~(size_t)3u;
  if (h > len) {
    return FG_ERR_BAD_FRAME;
  }
  for (size_t i = o; i < h; i++) {
    if (buf[i] != 0) {
      return FG_ERR_BAD_FRAME;
    }
  }
  v->header_size = h;
  v->frame_size = h + 4u * (size_t)l->sample_count * ((size_t)l->field_count + 1u);
  if (v->frame_size > FG_FRAME_MAX_BYTES) {
    return FG_ERR_TOO_LARGE;
  }
  if (exact && len != v->frame_size) {
    return FG_ERR_SIZE_MISMATCH;
  }
  v->columns = buf + h;
  return FG_OK;
}

uint32_t fg_frame_get_ts(const fg_frame_view_t *v, uint32_t i) { return prv_ld32(v->columns + 4u * i); }

int32_t fg_frame_get_raw(const fg_frame_view_t *v, uint32_t field, uint32_t i) {
  return (int32_t)prv_ld32(v->columns + 4u * ((size_t)v->layout.sample_count * (field + 1u) + i));
}

double fg_frame_get_value(const fg_frame_view_t *v, uint32_t field, uint32_t i) {
  const int8_t e = v->layout.fields[field].scale_exp;
  const double raw = (double)fg_frame_get_raw(v, field, i);
  return e < 0 ? raw / s_pow10[-e] : raw * s_pow10[e];
}
