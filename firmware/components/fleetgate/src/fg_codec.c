#include "fleetgate/fg_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_crc32.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_frame.h"
#include "fleetgate/fg_json.h"

/* ---- little-endian words ------------------------------------------------------------------ */
static uint32_t prv_ld32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void prv_st32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* ---- primitives --------------------------------------------------------------------------- */
uint32_t fg_codec_zigzag(int32_t x) {
  return ((uint32_t)x << 1) ^ (uint32_t)(0u - ((uint32_t)x >> 31));
}

int32_t fg_codec_unzigzag(uint32_t u) { return (int32_t)((u >> 1) ^ (0u - (u & 1u))); }

static size_t prv_varint_len(uint32_t v) {
  return v < (1u << 7) ? 1 : v < (1u << 14) ? 2 : v < (1u << 21) ? 3 : v < (1u << 28) ? 4 : 5;
}

size_t fg_codec_varint_put(uint32_t v, uint8_t out[5]) {
  size_t n = 0;
  while (v >= 0x80u) {
    out[n++] = (uint8_t)((v & 0x7Fu) | 0x80u);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

int fg_codec_varint_get(const uint8_t *in, size_t len, uint32_t *v) {
  uint32_t r = 0;
  for (size_t i = 0; i < 5; i++) {
    if (i >= len) {
      return FG_ERR_BAD_PACKED; /* truncated */
    }
    const uint8_t b = in[i];
    if (i == 4 && b > 0x0F) {
      return FG_ERR_BAD_PACKED; /* more than 32 bits */
    }
    r |= (uint32_t)(b & 0x7Fu) << (7 * i);
    if (b < 0x80) {
      if (b == 0 && i > 0) {
        return FG_ERR_BAD_PACKED; /* non-canonical */
      }
      *v = r;
      return (int)(i + 1);
    }
  }
  return FG_ERR_BAD_PACKED;
}

static uint32_t prv_bitwidth(uint32_t x) {
  uint32_t w = 0;
  while (x != 0) {
    w++;
    x >>= 1;
  }
  return w;
}

/* ---- byte + bit writer -------------------------------------------------------------------- */
typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int err;
  uint64_t acc;
  uint32_t nbits;
} prv_writer_t;

static void prv_put(prv_writer_t *w, uint8_t b) {
  if (w->len >= w->cap) {
    w->err = FG_ERR_BUFFER_TOO_SMALL;
    return;
  }
  w->buf[w->len++] = b;
}

static void prv_put_varint(prv_writer_t *w, uint32_t v) {
  uint8_t tmp[5];
  const size_t n = fg_codec_varint_put(v, tmp);
  for (size_t i = 0; i < n; i++) {
    prv_put(w, tmp[i]);
  }
}

/* n <= 32 bits, LSB first */
static void prv_put_bits(prv_writer_t *w, uint32_t v, uint32_t n) {
  if (n == 0) {
    return;
  }
  const uint64_t mask = n == 32 ? 0xFFFFFFFFull : ((1ull << n) - 1u);
  w->acc |= ((uint64_t)v & mask) << w->nbits;
  w->nbits += n;
  while (w->nbits >= 8) {
    prv_put(w, (uint8_t)w->acc);
    w->acc >>= 8;
    w->nbits -= 8;
  }
}

static void prv_flush_bits(prv_writer_t *w) {
  if (w->nbits > 0) {
    prv_put(w, (uint8_t)w->acc);
  }
  w->acc = 0;
  w->nbits = 0;
}

/* ---- byte + bit reader -------------------------------------------------------------------- */
typedef struct {
  const uint8_t *p;
  size_t len;
  size_t pos;
  uint64_t acc;
  uint32_t nbits;
} prv_reader_t;

static int prv_get(prv_reader_t *r, uint8_t *b) {
  if (r->pos >= r->len) {
    return FG_ERR_BAD_PACKED;
  }
  *b = r->p[r->pos++];
  return FG_OK;
}

static int prv_get_varint(prv_reader_t *r, uint32_t *v) {
  const int n = fg_codec_varint_get(r->p + r->pos, r->len - r->pos, v);
  if (n < 0) {
    return n;
  }
  r->pos += (size_t)n;
  return FG_OK;
}

static int prv_get_bits(prv_reader_t *r, uint32_t n, uint32_t *v) {
  if (n == 0) {
    *v = 0;
    return FG_OK;
  }
  while (r->nbits < n) {
    if (r->pos >= r->len) {
      return FG_ERR_BAD_PACKED;
    }
    r->acc |= (uint64_t)r->p[r->pos++] << r->nbits;
    r->nbits += 8;
  }
  const uint64_t mask = n == 32 ? 0xFFFFFFFFull : ((1ull << n) - 1u);
  *v = (uint32_t)(r->acc & mask);
  r->acc >>= n;
  r->nbits -= n;
  return FG_OK;
}

/* End of a bit stream: the pad bits left in the last byte must be zero. */
static int prv_end_bits(prv_reader_t *r) {
  const int ok = r->acc == 0;
  r->acc = 0;
  r->nbits = 0;
  return ok ? FG_OK : FG_ERR_BAD_PACKED;
}

/* ---- transforms --------------------------------------------------------------------------- */
static void prv_forward(uint8_t t, const uint32_t *v, uint32_t *r, uint32_t m) {
  if (t == FG_TRANSFORM_NONE) {
    memcpy(r, v, (size_t)m * 4u);
  } else if (t == FG_TRANSFORM_DELTA) {
    r[0] = v[0];
    for (uint32_t i = 1; i < m; i++) {
      r[i] = v[i] - v[i - 1];
    }
  } else {
    r[0] = v[0];
    if (m >= 2) {
      r[1] = v[1] - v[0];
    }
    for (uint32_t i = 2; i < m; i++) {
      r[i] = (v[i] - v[i - 1]) - (v[i - 1] - v[i - 2]);
    }
  }
}

static void prv_inverse(uint8_t t, uint32_t *r, uint32_t m) {
  if (t == FG_TRANSFORM_DELTA) {
    for (uint32_t i = 1; i < m; i++) {
      r[i] = r[i - 1] + r[i];
    }
  } else if (t == FG_TRANSFORM_DELTA2 && m >= 2) {
    uint32_t d = r[1];
    r[1] = r[0] + d;
    for (uint32_t i = 2; i < m; i++) {
      d += r[i];
      r[i] = r[i - 1] + d;
    }
  }
}

/* ---- DICT helpers: sort as i32 ascending (heapsort: no recursion, no heap) ---------------- */
static void prv_sift(int32_t *a, size_t start, size_t end) {
  size_t root = start;
  while (2 * root + 1 <= end) {
    size_t child = 2 * root + 1;
    if (child + 1 <= end && a[child] < a[child + 1]) {
      child++;
    }
    if (a[root] < a[child]) {
      const int32_t t = a[root];
      a[root] = a[child];
      a[child] = t;
      root = child;
    } else {
      return;
    }
  }
}

static void prv_sort(int32_t *a, size_t n) {
  if (n < 2) {
    return;
  }
  for (size_t s = (n - 2) / 2 + 1; s-- > 0;) {
    prv_sift(a, s, n - 1);
  }
  for (size_t end = n - 1; end > 0; end--) {
    const int32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    prv_sift(a, 0, end - 1);
  }
}

/* Sorted distinct words of r into table; returns k. */
static uint32_t prv_dict_table(const uint32_t *r, uint32_t m, uint32_t *table) {
  int32_t *t = (int32_t *)table;
  for (uint32_t i = 0; i < m; i++) {
    t[i] = (int32_t)r[i];
  }
  prv_sort(t, m);
  uint32_t k = 0;
  for (uint32_t i = 0; i < m; i++) {
    if (k == 0 || t[k - 1] != t[i]) {
      t[k++] = t[i];
    }
  }
  return k;
}

static uint32_t prv_dict_index(const uint32_t *table, uint32_t k, uint32_t v) {
  const int32_t *t = (const int32_t *)table;
  const int32_t x = (int32_t)v;
  uint32_t lo = 0;
  uint32_t hi = k;
  while (lo + 1 < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (t[mid] <= x) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* ---- exact coder costs (bytes of the body) ------------------------------------------------- */
static size_t prv_cost_varint(const uint32_t *r, uint32_t m) {
  size_t n = 0;
  for (uint32_t i = 0; i < m; i++) {
    n += prv_varint_len(fg_codec_zigzag((int32_t)r[i]));
  }
  return n;
}

static size_t prv_cost_rle(const uint32_t *r, uint32_t m) {
  size_t n = 0;
  for (uint32_t i = 0; i < m;) {
    uint32_t j = i + 1;
    while (j < m && r[j] == r[i]) {
      j++;
    }
    n += prv_varint_len(fg_codec_zigzag((int32_t)r[i])) + prv_varint_len(j - i);
    i = j;
  }
  return n;
}

static size_t prv_cost_dict(const uint32_t *r, uint32_t m, uint32_t *table) {
  const uint32_t k = prv_dict_table(r, m, table);
  size_t n = prv_varint_len(k);
  uint32_t prev = 0;
  for (uint32_t j = 0; j < k; j++) {
    n += prv_varint_len(fg_codec_zigzag((int32_t)(table[j] - prev)));
    prev = table[j];
  }
  const uint64_t bits = (uint64_t)m * prv_bitwidth(k - 1);
  return n + (size_t)((bits + 7) / 8);
}

static uint32_t prv_group_width(const uint32_t *r, uint32_t g, uint32_t *base) {
  int32_t lo = (int32_t)r[0];
  int32_t hi = (int32_t)r[0];
  for (uint32_t i = 1; i < g; i++) {
    const int32_t x = (int32_t)r[i];
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  *base = (uint32_t)lo;
  return prv_bitwidth((uint32_t)hi - (uint32_t)lo);
}

static size_t prv_cost_bitpack(const uint32_t *r, uint32_t m) {
  uint64_t bits = 0;
  for (uint32_t s = 0; s < m; s += FG_CODEC_BITPACK_GROUP) {
    const uint32_t g = (m - s) < FG_CODEC_BITPACK_GROUP ? (m - s) : FG_CODEC_BITPACK_GROUP;
    uint32_t base;
    bits += 38u + (uint64_t)prv_group_width(r + s, g, &base) * g;
  }
  return (size_t)((bits + 7) / 8);
}

/* Best Rice parameter of a group and its bit cost (ties: smallest k). */
static uint32_t prv_rice_k(const uint32_t *r, uint32_t g, uint64_t *cost) {
  uint64_t best = UINT64_MAX;
  uint32_t best_k = 0;
  for (uint32_t k = 0; k < 32; k++) {
    uint64_t bits = 5;
    for (uint32_t i = 0; i < g; i++) {
      const uint32_t q = fg_codec_zigzag((int32_t)r[i]) >> k;
      bits += q < 32 ? (uint64_t)q + 1u + k : 64u;
    }
    if (bits < best) {
      best = bits;
      best_k = k;
    }
  }
  *cost = best;
  return best_k;
}

static size_t prv_cost_rice(const uint32_t *r, uint32_t m) {
  uint64_t bits = 0;
  for (uint32_t s = 0; s < m; s += FG_CODEC_RICE_GROUP) {
    const uint32_t g = (m - s) < FG_CODEC_RICE_GROUP ? (m - s) : FG_CODEC_RICE_GROUP;
    uint64_t c;
    (void)prv_rice_k(r + s, g, &c);
    bits += c;
  }
  return (size_t)((bits + 7) / 8);
}

static size_t prv_cost(uint8_t coder, const uint32_t *r, uint32_t m, uint32_t *scratch) {
  switch (coder) {
    case FG_CODER_RAW: return (size_t)m * 4u;
    case FG_CODER_VARINT: return prv_cost_varint(r, m);
    case FG_CODER_RLE: return prv_cost_rle(r, m);
    case FG_CODER_DICT: return prv_cost_dict(r, m, scratch);
    case FG_CODER_BITPACK: return prv_cost_bitpack(r, m);
    default: return prv_cost_rice(r, m);
  }
}

/* ---- coder bodies ------------------------------------------------------------------------- */
static void prv_encode_body(prv_writer_t *w, uint8_t coder, const uint32_t *r, uint32_t m,
                            uint32_t *scratch) {
  switch (coder) {
    case FG_CODER_RAW:
      for (uint32_t i = 0; i < m; i++) {
        prv_put(w, (uint8_t)r[i]);
        prv_put(w, (uint8_t)(r[i] >> 8));
        prv_put(w, (uint8_t)(r[i] >> 16));
        prv_put(w, (uint8_t)(r[i] >> 24));
      }
      break;
    case FG_CODER_VARINT:
      for (uint32_t i = 0; i < m; i++) {
        prv_put_varint(w, fg_codec_zigzag((int32_t)r[i]));
      }
      break;
    case FG_CODER_RLE:
      for (uint32_t i = 0; i < m;) {
        uint32_t j = i + 1;
        while (j < m && r[j] == r[i]) {
          j++;
        }
        prv_put_varint(w, fg_codec_zigzag((int32_t)r[i]));
        prv_put_varint(w, j - i);
        i = j;
      }
      break;
    case FG_CODER_DICT: {
      const uint32_t k = prv_dict_table(r, m, scratch);
      prv_put_varint(w, k);
      uint32_t prev = 0;
      for (uint32_t j = 0; j < k; j++) {
        prv_put_varint(w, fg_codec_zigzag((int32_t)(scratch[j] - prev)));
        prev = scratch[j];
      }
      const uint32_t width = prv_bitwidth(k - 1);
      for (uint32_t i = 0; i < m; i++) {
        prv_put_bits(w, prv_dict_index(scratch, k, r[i]), width);
      }
      prv_flush_bits(w);
      break;
    }
    case FG_CODER_BITPACK:
      for (uint32_t s = 0; s < m; s += FG_CODEC_BITPACK_GROUP) {
        const uint32_t g = (m - s) < FG_CODEC_BITPACK_GROUP ? (m - s) : FG_CODEC_BITPACK_GROUP;
        uint32_t base;
        const uint32_t width = prv_group_width(r + s, g, &base);
        prv_put_bits(w, base, 32);
        prv_put_bits(w, width, 6);
        for (uint32_t i = 0; i < g; i++) {
          prv_put_bits(w, r[s + i] - base, width);
        }
      }
      prv_flush_bits(w);
      break;
    default: /* RICE */
      for (uint32_t s = 0; s < m; s += FG_CODEC_RICE_GROUP) {
        const uint32_t g = (m - s) < FG_CODEC_RICE_GROUP ? (m - s) : FG_CODEC_RICE_GROUP;
        uint64_t c;
        const uint32_t k = prv_rice_k(r + s, g, &c);
        prv_put_bits(w, k, 5);
        for (uint32_t i = 0; i < g; i++) {
          const uint32_t u = fg_codec_zigzag((int32_t)r[s + i]);
          const uint32_t q = u >> k;
          if (q < 32) {
            /* q ones then a zero: write in pieces of at most 31 bits */
            uint32_t left = q;
            while (left > 0) {
              const uint32_t n = left > 31 ? 31 : left;
              prv_put_bits(w, (1u << n) - 1u, n);
              left -= n;
            }
            prv_put_bits(w, 0, 1);
            prv_put_bits(w, u, k);
          } else {
            prv_put_bits(w, 0xFFFFFFFFu, 32);
            prv_put_bits(w, u, 32);
          }
        }
      }
      prv_flush_bits(w);
      break;
  }
}

static int prv_decode_body(prv_reader_t *rd, uint8_t coder, uint32_t *out, uint32_t m,
                           uint32_t *scratch) {
  int rc = FG_OK;
  switch (coder) {
    case FG_CODER_RAW:
      if (rd->len - rd->pos < (size_t)m * 4u) {
        return FG_ERR_BAD_PACKED;
      }
      for (uint32_t i = 0; i < m; i++) {
        out[i] = prv_ld32(rd->p + rd->pos);
        rd->pos += 4;
      }
      return FG_OK;
    case FG_CODER_VARINT:
      for (uint32_t i = 0; i < m && rc == 0; i++) {
        uint32_t u = 0;
        rc = prv_get_varint(rd, &u);
        if (rc == 0) { /* nothing is stored from a varint that did not decode */
          out[i] = (uint32_t)fg_codec_unzigzag(u);
        }
      }
      return rc;
    case FG_CODER_RLE:
      for (uint32_t i = 0; i < m;) {
        uint32_t u, run;
        rc = prv_get_varint(rd, &u);
        if (rc == 0) {
          rc = prv_get_varint(rd, &run);
        }
        if (rc != 0) {
          return rc;
        }
        if (run == 0 || run > m - i) {
          return FG_ERR_BAD_PACKED;
        }
        const uint32_t v = (uint32_t)fg_codec_unzigzag(u);
        for (uint32_t j = 0; j < run; j++) {
          out[i++] = v;
        }
      }
      return FG_OK;
    case FG_CODER_DICT: {
      uint32_t k;
      rc = prv_get_varint(rd, &k);
      if (rc != 0) {
        return rc;
      }
      if (k < 1 || k > m || k > rd->len - rd->pos) {
        return FG_ERR_BAD_PACKED;
      }
      uint32_t prev = 0;
      for (uint32_t j = 0; j < k; j++) {
        uint32_t u;
        rc = prv_get_varint(rd, &u);
        if (rc != 0) {
          return rc;
        }
        prev += (uint32_t)fg_codec_unzigzag(u);
        scratch[j] = prev;
      }
      const uint32_t width = prv_bitwidth(k - 1);
      for (uint32_t i = 0; i < m; i++) {
        uint32_t idx;
        rc = prv_get_bits(rd, width, &idx);
        if (rc != 0) {
          return rc;
        }
        if (idx >= k) {
          return FG_ERR_BAD_PACKED;
        }
        out[i] = scratch[idx];
      }
      return prv_end_bits(rd);
    }
    case FG_CODER_BITPACK:
      for (uint32_t s = 0; s < m; s += FG_CODEC_BITPACK_GROUP) {
        const uint32_t g = (m - s) < FG_CODEC_BITPACK_GROUP ? (m - s) : FG_CODEC_BITPACK_GROUP;
        uint32_t base, width;
        rc = prv_get_bits(rd, 32, &base);
        if (rc == 0) {
          rc = prv_get_bits(rd, 6, &width);
        }
        if (rc != 0) {
          return rc;
        }
        if (width > 32) {
          return FG_ERR_BAD_PACKED;
        }
        for (uint32_t i = 0; i < g; i++) {
          uint32_t off;
          rc = prv_get_bits(rd, width, &off);
          if (rc != 0) {
            return rc;
          }
          out[s + i] = base + off;
        }
      }
      return prv_end_bits(rd);
    case FG_CODER_RICE:
      for (uint32_t s = 0; s < m; s += FG_CODEC_RICE_GROUP) {
        const uint32_t g = (m - s) < FG_CODEC_RICE_GROUP ? (m - s) : FG_CODEC_RICE_GROUP;
        uint32_t k;
        rc = prv_get_bits(rd, 5, &k);
        if (rc != 0) {
          return rc;
        }
        for (uint32_t i = 0; i < g; i++) {
          uint32_t q = 0;
          while (q < 32) {
            uint32_t bit;
            rc = prv_get_bits(rd, 1, &bit);
            if (rc != 0) {
              return rc;
            }
            if (bit == 0) {
              break;
            }
            q++;
          }
          uint32_t u;
          if (q == 32) {
            rc = prv_get_bits(rd, 32, &u);
            if (rc != 0) {
              return rc;
            }
            if ((u >> k) < 32) {
              return FG_ERR_BAD_PACKED; /* non-canonical escape */
            }
          } else {
            if (k > 0 && (q >> (32 - k)) != 0) {
              return FG_ERR_BAD_PACKED;
            }
            uint32_t low;
            rc = prv_get_bits(rd, k, &low);
            if (rc != 0) {
              return rc;
            }
            u = (q << k) | low;
          }
          out[s + i] = (uint32_t)fg_codec_unzigzag(u);
        }
      }
      return prv_end_bits(rd);
    default:
      return FG_ERR_BAD_PACKED;
  }
}

/* ---- blocks ------------------------------------------------------------------------------- */
int fg_codec_block_encode(uint8_t transform, uint8_t coder, const uint32_t *words, uint32_t m,
                          uint8_t *out, size_t cap, uint32_t *scratch) {
  if (words == NULL || out == NULL || scratch == NULL || m == 0 || transform > 2 ||
      coder > FG_CODER_RICE) {
    return FG_ERR_INVALID_ARG;
  }
  prv_writer_t w = {.buf = out, .cap = cap};
  prv_put(&w, transform);
  prv_put(&w, coder);
  prv_forward(transform, words, scratch, m);
  prv_encode_body(&w, coder, scratch, m, scratch + m);
  return w.err != 0 ? w.err : (int)w.len;
}

static int prv_block_decode(prv_reader_t *rd, uint32_t allowed, uint32_t *words, uint32_t m,
                            uint32_t *scratch) {
  uint8_t t, c;
  int rc = prv_get(rd, &t);
  if (rc == 0) {
    rc = prv_get(rd, &c);
  }
  if (rc != 0) {
    return rc;
  }
  if (t > FG_TRANSFORM_DELTA2 || c > 31 || (allowed & (1u << c)) == 0) {
    return FG_ERR_BAD_PACKED;
  }
  rc = prv_decode_body(rd, c, words, m, scratch);
  if (rc != 0) {
    return rc;
  }
  prv_inverse(t, words, m);
  return FG_OK;
}

int fg_codec_block_decode(uint32_t allowed_mask, const uint8_t *in, size_t len, size_t *consumed,
                          uint32_t *words, uint32_t m, uint32_t *scratch) {
  if (in == NULL || consumed == NULL || words == NULL || scratch == NULL || m == 0) {
    return FG_ERR_INVALID_ARG;
  }
  prv_reader_t rd = {.p = in, .len = len};
  const int rc = prv_block_decode(&rd, allowed_mask, words, m, scratch);
  *consumed = rd.pos;
  return rc;
}

/* ---- methods ------------------------------------------------------------------------------ */
typedef struct {
  int id;
  const char *name;
  uint32_t block_rows; /* 0: one block of N rows */
  uint8_t n_transforms;
  uint8_t transforms[3];
  uint8_t n_coders;
  uint8_t coders[6];
} prv_method_t;

static const prv_method_t s_methods[] = {
    {FG_METHOD_DICTIONARY, "dictionary", 0, 3, {0, 1, 2}, 1, {FG_CODER_DICT}},
    {FG_METHOD_DELTA, "delta", 0, 2, {1, 2}, 1, {FG_CODER_VARINT}},
    {FG_METHOD_RLE, "rle", 0, 3, {0, 1, 2}, 1, {FG_CODER_RLE}},
    {FG_METHOD_ADAPTIVE, "adaptive", FG_CODEC_ADAPTIVE_ROWS, 3, {0, 1, 2}, 4,
     {FG_CODER_RAW, FG_CODER_VARINT, FG_CODER_RLE, FG_CODER_DICT}},
    {FG_METHOD_SMART, "smart", 0, 3, {0, 1, 2}, 6,
     {FG_CODER_RAW, FG_CODER_RLE, FG_CODER_VARINT, FG_CODER_DICT, FG_CODER_BITPACK, FG_CODER_RICE}},
};

static const prv_method_t *prv_method(int id) {
  for (size_t i = 0; i < sizeof(s_methods) / sizeof(s_methods[0]); i++) {
    if (s_methods[i].id == id) {
      return &s_methods[i];
    }
  }
  return NULL;
}

static uint32_t prv_allowed(const prv_method_t *m) {
  uint32_t mask = 0;
  for (uint8_t i = 0; i < m->n_coders; i++) {
    mask |= 1u << m->coders[i];
  }
  return mask;
}

bool fg_codec_method_valid(int method) { return prv_method(method) != NULL; }

const char *fg_codec_method_name(int method) {
  const prv_method_t *m = prv_method(method);
  return m != NULL ? m->name : NULL;
}

int fg_codec_method_parse(const char *s) {
  if (s == NULL || s[0] == '\0') {
    return FG_ERR_UNKNOWN_METHOD;
  }
  for (size_t i = 0; i < sizeof(s_methods) / sizeof(s_methods[0]); i++) {
    if (strcmp(s, s_methods[i].name) == 0) {
      return s_methods[i].id;
    }
  }
  char *end = NULL;
  long v;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    v = strtol(s + 2, &end, 16);
  } else {
    v = strtol(s, &end, 10);
    if (end == NULL || *end != '\0') {
      v = strtol(s, &end, 16); /* bare hex such as "ff" or "DE" */
    }
  }
  if (end == NULL || *end != '\0' || !fg_codec_method_valid((int)v)) {
    return FG_ERR_UNKNOWN_METHOD;
  }
  return (int)v;
}

static uint32_t prv_block_rows(const prv_method_t *m, uint32_t n) {
  return m->block_rows == 0 ? n : (n < m->block_rows ? n : m->block_rows);
}

size_t fg_codec_scratch_words(int method, uint32_t samples) {
  const prv_method_t *m = prv_method(method);
  /* pack: block words + transformed words + DICT table; unpack needs two of the three */
  return m == NULL ? 0 : 3u * (size_t)prv_block_rows(m, samples == 0 ? 1 : samples);
}

size_t fg_codec_pack_bound(int method, size_t frame_size, uint32_t fields, uint32_t samples) {
  /* The encoder keeps the smallest allowed candidate, so a block is never larger than the worst
   * case of the cheapest-in-the-worst-case coder the method allows: RAW 4 bytes/word (adaptive,
   * smart), VARINT 5 (delta), RLE 6 (single-word runs), DICT 9 (5-byte entry + 4-byte index).
   * Per block: transform + coder bytes, a 5-byte count, a pad byte. The header is copied. */
  const prv_method_t *m = prv_method(method);
  if (m == NULL) {
    return 0;
  }
  const size_t per_word = method == FG_METHOD_DICTIONARY ? 9u
                          : method == FG_METHOD_RLE      ? 6u
                          : method == FG_METHOD_DELTA    ? 5u
                                                         : 4u;
  const size_t rows = prv_block_rows(m, samples == 0 ? 1 : samples);
  const size_t blocks = ((size_t)samples + rows - 1) / rows;
  const size_t columns = (size_t)fields + 1u;
  const size_t header = frame_size - 4u * (size_t)samples * columns;
  return header + columns * (per_word * (size_t)samples + 8u * blocks);
}

int fg_codec_pack(int method, const uint8_t *frame, size_t frame_len, uint8_t *out, size_t cap,
                  uint32_t *scratch, size_t scratch_words) {
  const prv_method_t *meth = prv_method(method);
  if (meth == NULL) {
    return FG_ERR_UNKNOWN_METHOD;
  }
  if (frame == NULL || out == NULL || scratch == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  fg_frame_view_t v;
  int rc = fg_frame_parse(frame, frame_len, true, &v);
  if (rc != 0) {
    return rc;
  }
  const uint32_t n = v.layout.sample_count;
  const uint32_t rows = prv_block_rows(meth, n);
  if (scratch_words < 3u * (size_t)rows) {
    /* r (transformed) + DICT table + the source words of the block */
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  uint32_t *src = scratch;           /* block words as loaded */
  uint32_t *r = scratch + rows;      /* transformed */
  uint32_t *tab = scratch + 2 * rows; /* DICT table / sort */
  prv_writer_t w = {.buf = out, .cap = cap};
  for (size_t i = 0; i < v.header_size; i++) {
    prv_put(&w, frame[i]);
  }
  for (uint32_t c = 0; c <= v.layout.field_count; c++) {
    const uint8_t *col = v.columns + 4u * (size_t)n * c;
    for (uint32_t r0 = 0; r0 < n; r0 += rows) {
      const uint32_t m = (n - r0) < rows ? (n - r0) : rows;
      for (uint32_t i = 0; i < m; i++) {
        src[i] = prv_ld32(col + 4u * ((size_t)r0 + i));
      }
      size_t best = SIZE_MAX;
      uint8_t best_t = 0;
      uint8_t best_c = 0;
      for (uint8_t ti = 0; ti < meth->n_transforms; ti++) {
        prv_forward(meth->transforms[ti], src, r, m);
        for (uint8_t ci = 0; ci < meth->n_coders; ci++) {
          const size_t size = prv_cost(meth->coders[ci], r, m, tab);
          if (size < best) {
            best = size;
            best_t = meth->transforms[ti];
            best_c = meth->coders[ci];
          }
        }
      }
      prv_put(&w, best_t);
      prv_put(&w, best_c);
      prv_forward(best_t, src, r, m);
      prv_encode_body(&w, best_c, r, m, tab);
      if (w.err != 0) {
        return w.err;
      }
    }
  }
  if (w.len > FG_CODEC_MAX_PACKED || frame_len > (size_t)FG_CODEC_MAX_RATIO * w.len) {
    return FG_ERR_TOO_LARGE;
  }
  return (int)w.len;
}

int fg_codec_unpack(int method, const uint8_t *packed, size_t len, size_t original_size,
                    uint8_t *out, size_t cap, uint32_t *scratch, size_t scratch_words) {
  const prv_method_t *meth = prv_method(method);
  if (meth == NULL) {
    return FG_ERR_UNKNOWN_METHOD;
  }
  if ((packed == NULL && len > 0) || out == NULL || scratch == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  fg_frame_view_t v;
  int rc = fg_frame_parse(packed, len, false, &v);
  if (rc != 0) {
    return rc; /* bad_frame, or too_large for rule 6 */
  }
  if (v.frame_size != original_size) {
    return FG_ERR_SIZE_MISMATCH;
  }
  if (cap < original_size) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  const uint32_t n = v.layout.sample_count;
  const uint32_t rows = prv_block_rows(meth, n);
  if (scratch_words < 2u * (size_t)rows) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  uint32_t *words = scratch;
  uint32_t *tab = scratch + rows;
  memcpy(out, packed, v.header_size);
  prv_reader_t rd = {.p = packed, .len = len, .pos = v.header_size};
  const uint32_t allowed = prv_allowed(meth);
  for (uint32_t c = 0; c <= v.layout.field_count; c++) {
    uint8_t *col = out + v.header_size + 4u * (size_t)n * c;
    for (uint32_t r0 = 0; r0 < n; r0 += rows) {
      const uint32_t m = (n - r0) < rows ? (n - r0) : rows;
      rc = prv_block_decode(&rd, allowed, words, m, tab);
      if (rc != 0) {
        return rc;
      }
      for (uint32_t i = 0; i < m; i++) {
        prv_st32(col + 4u * ((size_t)r0 + i), words[i]);
      }
    }
  }
  if (rd.pos != len) {
    return FG_ERR_BAD_PACKED; /* trailing bytes */
  }
  return (int)original_size;
}

/* ---- batch JSON --------------------------------------------------------------------------- */
int fg_codec_batch_json(int method, const uint8_t *frame, size_t frame_len, const uint8_t *packed,
                        size_t packed_len, uint32_t timestamp, char *out, size_t cap) {
  if (!fg_codec_method_valid(method)) {
    return FG_ERR_UNKNOWN_METHOD;
  }
  if (frame == NULL || packed == NULL || out == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  static const char head[] = "{\"compressed_data\":\"";
  const size_t b64 = FG_BASE64_ENCODED_LEN(packed_len);
  if (cap < sizeof(head) + b64 + 160) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(out, head, sizeof(head) - 1);
  size_t o = sizeof(head) - 1;
  const int n = fg_base64_encode(packed, packed_len, out + o, cap - o);
  if (n < 0) {
    return n;
  }
  o += (size_t)n;
  const int t = snprintf(out + o, cap - o,
                         "\",\"method\":%d,\"original_size\":%lu,\"compressed_size\":%lu,"
                         "\"crc32\":\"%08lx\",\"timestamp\":%lu}",
                         method, (unsigned long)frame_len, (unsigned long)packed_len,
                         (unsigned long)fg_crc32(frame, frame_len), (unsigned long)timestamp);
  if (t < 0 || (size_t)t >= cap - o) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  return (int)(o + (size_t)t);
}

static bool prv_nonneg_int(const fg_json_doc_t *doc, int tok, int64_t *out) {
  return tok >= 0 && fg_json_get_i64(doc, tok, out) == 0 && *out >= 0;
}

int fg_codec_batch_unpack(const char *json, size_t len, uint8_t *packed_buf, size_t packed_cap,
                          uint8_t *frame_out, size_t frame_cap, uint32_t *scratch,
                          size_t scratch_words) {
  fg_json_tok_t toks[24];
  fg_json_doc_t doc;
  if (json == NULL || fg_json_parse(&doc, json, len, toks, 24) <= 0 ||
      toks[0].type != FG_JSON_OBJECT) {
    return FG_ERR_BAD_PACKED;
  }
  int64_t method = -1, orig = -1, comp = -1;
  /* 1 */
  if (fg_json_obj_i64(&doc, 0, "method", &method) != 0 || !fg_codec_method_valid((int)method) ||
      method > 255) {
    return FG_ERR_UNKNOWN_METHOD;
  }
  /* 2 */
  if (!prv_nonneg_int(&doc, fg_json_obj_get(&doc, 0, "original_size"), &orig) ||
      !prv_nonneg_int(&doc, fg_json_obj_get(&doc, 0, "compressed_size"), &comp)) {
    return FG_ERR_BAD_PACKED;
  }
  /* 3 */
  if (orig > (int64_t)FG_FRAME_MAX_BYTES || comp > (int64_t)FG_CODEC_MAX_PACKED ||
      orig > (int64_t)FG_CODEC_MAX_RATIO * comp) {
    return FG_ERR_TOO_LARGE;
  }
  /* 4 */
  char crc_hex[16];
  if (fg_json_obj_str(&doc, 0, "crc32", crc_hex, sizeof(crc_hex)) != 8) {
    return FG_ERR_BAD_PACKED;
  }
  uint32_t crc = 0;
  for (int i = 0; i < 8; i++) {
    const char ch = crc_hex[i];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
      return FG_ERR_BAD_PACKED;
    }
    crc = (crc << 4) | (uint32_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
  }
  /* 5 */
  const int dt = fg_json_obj_get(&doc, 0, "compressed_data");
  const char *b64;
  size_t b64_len;
  if (dt < 0 || fg_json_str_raw(&doc, dt, &b64, &b64_len) != 0) {
    return FG_ERR_BAD_PACKED;
  }
  if (b64_len != 4u * (((size_t)comp + 2u) / 3u)) {
    return FG_ERR_SIZE_MISMATCH;
  }
  /* 6, 7 */
  if (FG_BASE64_DECODED_MAX(b64_len) > packed_cap || (size_t)orig > frame_cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  const int plen = fg_base64_decode(b64, b64_len, packed_buf, packed_cap);
  if (plen < 0) {
    return FG_ERR_BAD_PACKED;
  }
  if ((int64_t)plen != comp) {
    return FG_ERR_SIZE_MISMATCH;
  }
  /* 8-11 */
  const int flen = fg_codec_unpack((int)method, packed_buf, (size_t)plen, (size_t)orig, frame_out,
                                   frame_cap, scratch, scratch_words);
  if (flen < 0) {
    return flen;
  }
  /* 12 */
  if (fg_crc32(frame_out, (size_t)flen) != crc) {
    return FG_ERR_CRC;
  }
  /* 13 */
  fg_frame_view_t v;
  if (fg_frame_parse(frame_out, (size_t)flen, true, &v) != 0) {
    return FG_ERR_BAD_FRAME;
  }
  return flen;
}

const char *fg_codec_error_code(int err) {
  switch (err) {
    case FG_ERR_BAD_FRAME: return FG_LIMIT_CODEC_BAD_FRAME;
    case FG_ERR_SIZE_MISMATCH: return FG_LIMIT_CODEC_SIZE_MISMATCH;
    case FG_ERR_BAD_PACKED: return FG_LIMIT_CODEC_BAD_PACKED_DATA;
    case FG_ERR_TOO_LARGE: return FG_LIMIT_CODEC_TOO_LARGE;
    case FG_ERR_UNKNOWN_METHOD: return FG_LIMIT_CODEC_UNKNOWN_METHOD;
    case FG_ERR_CRC: return FG_LIMIT_CODEC_CRC_MISMATCH;
    default: return "";
  }
}
