/* Packed telemetry against tests/vectors/codec.json (server/codec/SPEC.md): varints, zigzag,
 * every coder block, every case packed with every method byte for byte, unpacking, frames built
 * from the raw samples (auto scale), batch JSON, and every invalid stream / batch. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fg_test.h"
#include "fg_test_vectors.h"
#include "fleetgate/fg_codec.h"
#include "fleetgate/fg_crc32.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_frame.h"
#include "fleetgate/fg_hex.h"

static cJSON *s_root;

static double prv_num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int prv_load(void) {
  if (s_root != NULL) {
    return 1;
  }
  s_root = fg_test_load_vectors("codec.json");
  return s_root != NULL;
}

static char *prv_hex(const uint8_t *d, size_t n) {
  char *h = (char *)malloc(2 * n + 1);
  fg_hex_encode(d, n, h, 2 * n + 1);
  return h;
}

static void test_primitives(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s_root, "varints")) {
    uint8_t b[5];
    const size_t n = fg_codec_varint_put((uint32_t)prv_num(e, "u32"), b);
    char *h = prv_hex(b, n);
    FG_CHECK_STR(h, fg_test_str(e, "hex"));
    free(h);
    uint32_t v = 0;
    FG_CHECK_EQ(fg_codec_varint_get(b, n, &v), (int)n);
    FG_CHECK_EQ(v, (uint32_t)prv_num(e, "u32"));
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(s_root, "zigzag")) {
    const int32_t x = (int32_t)prv_num(e, "int32");
    FG_CHECK_EQ(fg_codec_zigzag(x), (uint32_t)prv_num(e, "u32"));
    FG_CHECK_EQ(fg_codec_unzigzag((uint32_t)prv_num(e, "u32")), x);
  }
  const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0x10};
  const uint8_t noncanon[] = {0x80, 0x00};
  uint32_t v;
  FG_CHECK_EQ(fg_codec_varint_get(over, 5, &v), FG_ERR_BAD_PACKED);
  FG_CHECK_EQ(fg_codec_varint_get(noncanon, 2, &v), FG_ERR_BAD_PACKED);
  FG_CHECK_EQ(fg_codec_varint_get(over, 3, &v), FG_ERR_BAD_PACKED);
  FG_CHECK_EQ(fg_crc32("123456789", 9), 0xcbf43926u);
  FG_CHECK_EQ(fg_codec_method_parse("smart"), 0xFF);
  FG_CHECK_EQ(fg_codec_method_parse("0xDE"), 0xDE);
  FG_CHECK_EQ(fg_codec_method_parse("ad"), 0xAD);
  FG_CHECK_EQ(fg_codec_method_parse("208"), 0xD0);
  FG_CHECK_EQ(fg_codec_method_parse("0x42"), FG_ERR_UNKNOWN_METHOD);
  FG_CHECK_EQ(fg_codec_method_parse("zip"), FG_ERR_UNKNOWN_METHOD);
}

static void test_blocks(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *b;
  int count = 0;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(s_root, "blocks")) {
    const cJSON *words = cJSON_GetObjectItemCaseSensitive(b, "words");
    const uint32_t m = (uint32_t)cJSON_GetArraySize(words);
    uint32_t *w = (uint32_t *)calloc(m, 4);
    uint32_t *scratch = (uint32_t *)calloc(2 * m, 4);
    uint32_t *back = (uint32_t *)calloc(m, 4);
    for (uint32_t i = 0; i < m; i++) {
      w[i] = (uint32_t)(int64_t)cJSON_GetArrayItem(words, (int)i)->valuedouble;
    }
    uint8_t out[2048];
    const int n = fg_codec_block_encode((uint8_t)prv_num(b, "transform"), (uint8_t)prv_num(b, "coder"),
                                        w, m, out, sizeof(out), scratch);
    FG_CHECK(n > 0);
    char *h = prv_hex(out, n > 0 ? (size_t)n : 0);
    if (strcmp(h, fg_test_str(b, "block_hex")) != 0) {
      fprintf(stderr, "block %s\n", fg_test_str(b, "name"));
    }
    FG_CHECK_STR(h, fg_test_str(b, "block_hex"));
    free(h);
    size_t blen = 0;
    uint8_t *bytes = fg_test_hex(fg_test_str(b, "block_hex"), &blen);
    size_t used = 0;
    FG_CHECK_EQ(fg_codec_block_decode(0x3F, bytes, blen, &used, back, m, scratch), 0);
    FG_CHECK_EQ(used, blen);
    FG_CHECK_MEM(back, w, (size_t)m * 4);
    free(bytes);
    free(w);
    free(scratch);
    free(back);
    count++;
  }
  FG_CHECK(count >= 20);
}

/* The frame from the vector's raw columns. */
static uint8_t *prv_frame_from_columns(const cJSON *c, size_t *len, fg_frame_layout_t *l) {
  memset(l, 0, sizeof(*l));
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(c, "fields");
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(c, "columns");
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cols, "timestamp");
  l->field_count = (uint8_t)cJSON_GetArraySize(fields);
  l->sample_count = (uint16_t)cJSON_GetArraySize(ts);
  for (int f = 0; f < l->field_count; f++) {
    const cJSON *fd = cJSON_GetArrayItem(fields, f);
    snprintf(l->fields[f].name, sizeof(l->fields[f].name), "%s", fg_test_str(fd, "name"));
    l->fields[f].scale_exp = (int8_t)prv_num(fd, "scale_exp");
  }
  const size_t size = fg_frame_size(l);
  uint8_t *frame = (uint8_t *)malloc(size ? size : 1);
  FG_CHECK_EQ(fg_frame_init(frame, size, l), (int)size);
  for (int i = 0; i < l->sample_count; i++) {
    fg_frame_put_ts(frame, l, (uint32_t)i, (uint32_t)(int64_t)cJSON_GetArrayItem(ts, i)->valuedouble);
    for (int f = 0; f < l->field_count; f++) {
      const cJSON *col = cJSON_GetObjectItemCaseSensitive(cols, l->fields[f].name);
      fg_frame_put_raw(frame, l, (uint32_t)f, (uint32_t)i, (int32_t)(int64_t)cJSON_GetArrayItem(col, i)->valuedouble);
    }
  }
  *len = size;
  return frame;
}

/* The frame from the original samples, as a device builds it: field order of the first sample,
 * scale chosen from the values' decimals (or the case's explicit scales). */
static uint8_t *prv_frame_from_samples(const cJSON *c, size_t *len) {
  const cJSON *samples = cJSON_GetObjectItemCaseSensitive(c, "samples");
  const cJSON *scales = cJSON_GetObjectItemCaseSensitive(c, "scales");
  fg_frame_layout_t l;
  memset(&l, 0, sizeof(l));
  l.sample_count = (uint16_t)cJSON_GetArraySize(samples);
  const cJSON *first = cJSON_GetArrayItem(samples, 0);
  const cJSON *kv;
  cJSON_ArrayForEach(kv, first) {
    if (strcmp(kv->string, "timestamp") == 0) {
      continue;
    }
    snprintf(l.fields[l.field_count].name, sizeof(l.fields[0].name), "%s", kv->string);
    int dec = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, samples) {
      const int d = fg_frame_decimals(cJSON_GetObjectItemCaseSensitive(s, kv->string)->valuedouble);
      dec = d > dec ? d : dec;
    }
    l.fields[l.field_count].scale_exp = (int8_t)-dec;
    const cJSON *explicit_scale = scales ? cJSON_GetObjectItemCaseSensitive(scales, kv->string) : NULL;
    if (cJSON_IsNumber(explicit_scale)) {
      l.fields[l.field_count].scale_exp = (int8_t)explicit_scale->valuedouble;
    }
    l.field_count++;
  }
  const size_t size = fg_frame_size(&l);
  uint8_t *frame = (uint8_t *)malloc(size);
  fg_frame_init(frame, size, &l);
  int i = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, samples) {
    fg_frame_put_ts(frame, &l, (uint32_t)i, (uint32_t)(int64_t)prv_num(s, "timestamp"));
    for (int f = 0; f < l.field_count; f++) {
      FG_CHECK_EQ(fg_frame_put_value(frame, &l, (uint32_t)f, (uint32_t)i,
                                     cJSON_GetObjectItemCaseSensitive(s, l.fields[f].name)->valuedouble),
                  0);
    }
    i++;
  }
  *len = size;
  return frame;
}

static void test_cases(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *c;
  int cases = 0, packs = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s_root, "cases")) {
    const char *name = fg_test_str(c, "name");
    size_t flen = 0;
    fg_frame_layout_t l;
    uint8_t *frame = prv_frame_from_columns(c, &flen, &l);
    char *h = prv_hex(frame, flen);
    FG_CHECK_STR(h, fg_test_str(c, "frame_hex"));
    free(h);
    FG_CHECK_EQ(flen, prv_num(c, "frame_size"));
    char crc[9];
    snprintf(crc, sizeof(crc), "%08x", fg_crc32(frame, flen));
    FG_CHECK_STR(crc, fg_test_str(c, "crc32"));
    /* the same frame from the float samples */
    size_t slen = 0;
    uint8_t *sframe = prv_frame_from_samples(c, &slen);
    if (slen != flen || memcmp(sframe, frame, flen) != 0) {
      fprintf(stderr, "case %s: frame from samples differs\n", name);
      FG_CHECK(0);
    }
    free(sframe);
    /* parse and read back */
    fg_frame_view_t v;
    FG_CHECK_EQ(fg_frame_parse(frame, flen, true, &v), 0);
    FG_CHECK_EQ(v.layout.sample_count, l.sample_count);

    const cJSON *pm;
    cJSON_ArrayForEach(pm, cJSON_GetObjectItemCaseSensitive(c, "packed")) {
      const int method = (int)prv_num(pm, "method");
      FG_CHECK_EQ(fg_codec_method_parse(pm->string), method);
      const size_t sw = fg_codec_scratch_words(method, l.sample_count);
      uint32_t *scratch = (uint32_t *)malloc(sw * 4);
      const size_t cap = fg_codec_pack_bound(method, flen, l.field_count, l.sample_count);
      uint8_t *packed = (uint8_t *)malloc(cap);
      const int n = fg_codec_pack(method, frame, flen, packed, cap, scratch, sw);
      FG_CHECK(n > 0);
      char *ph = prv_hex(packed, n > 0 ? (size_t)n : 0);
      if (strcmp(ph, fg_test_str(pm, "packed_hex")) != 0) {
        fprintf(stderr, "case %s method %s: packed bytes differ (%d vs %d bytes)\n", name,
                pm->string, n, (int)prv_num(pm, "compressed_size"));
      }
      FG_CHECK_STR(ph, fg_test_str(pm, "packed_hex"));
      free(ph);
      FG_CHECK_EQ(n, prv_num(pm, "compressed_size"));
      /* decode the vector's bytes */
      size_t vlen = 0;
      uint8_t *vbytes = fg_test_hex(fg_test_str(pm, "packed_hex"), &vlen);
      uint8_t *back = (uint8_t *)malloc(flen);
      FG_CHECK_EQ(fg_codec_unpack(method, vbytes, vlen, flen, back, flen, scratch, sw), (int)flen);
      FG_CHECK_MEM(back, frame, flen);
      /* batch JSON, as JSON.stringify writes it */
      const size_t jcap = 4 * n + 256;
      char *json = (char *)malloc(jcap);
      const cJSON *batch = cJSON_GetObjectItemCaseSensitive(pm, "batch");
      const int jl = fg_codec_batch_json(method, frame, flen, packed, (size_t)n,
                                         (uint32_t)prv_num(batch, "timestamp"), json, jcap);
      FG_CHECK(jl > 0);
      char *expect = cJSON_PrintUnformatted(batch);
      FG_CHECK_STR(json, expect);
      /* and through the gateway-side checks */
      FG_CHECK_EQ(fg_codec_batch_unpack(json, (size_t)jl, vbytes, vlen + 4, back, flen, scratch, sw),
                  (int)flen);
      free(expect);
      free(json);
      free(back);
      free(vbytes);
      free(packed);
      free(scratch);
      packs++;
    }
    free(frame);
    cases++;
  }
  FG_CHECK(cases >= 10);
  FG_CHECK(packs >= 50);
}

static void test_invalid_packed(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *c;
  int count = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s_root, "invalid_packed")) {
    size_t len = 0;
    uint8_t *bytes = fg_test_hex(fg_test_str(c, "packed_hex"), &len);
    const size_t orig = (size_t)prv_num(c, "original_size");
    uint8_t *out = (uint8_t *)malloc(orig + 1);
    static uint32_t scratch[3 * 65536];
    const int rc = fg_codec_unpack((int)prv_num(c, "method"), bytes ? bytes : (uint8_t *)"", len, orig,
                                   out, orig + 1, scratch, sizeof(scratch) / 4);
    if (strcmp(fg_codec_error_code(rc), fg_test_str(c, "error")) != 0) {
      fprintf(stderr, "invalid %s: got %d [%s]\n", fg_test_str(c, "name"), rc, fg_codec_error_code(rc));
    }
    FG_CHECK_STR(fg_codec_error_code(rc), fg_test_str(c, "error"));
    free(bytes);
    free(out);
    count++;
  }
  FG_CHECK(count >= 20);
}

static void test_invalid_batches(void) {
  if (!prv_load()) {
    return;
  }
  const cJSON *c;
  int count = 0;
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s_root, "invalid_batches")) {
    char *json = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "batch"));
    static uint8_t packed[1 << 16];
    static uint8_t frame[1 << 16];
    static uint32_t scratch[3 * 65536];
    const int rc = fg_codec_batch_unpack(json, strlen(json), packed, sizeof(packed), frame,
                                         sizeof(frame), scratch, sizeof(scratch) / 4);
    if (strcmp(fg_codec_error_code(rc), fg_test_str(c, "error")) != 0) {
      fprintf(stderr, "batch %s: got %d [%s]\n", fg_test_str(c, "name"), rc, fg_codec_error_code(rc));
    }
    FG_CHECK_STR(fg_codec_error_code(rc), fg_test_str(c, "error"));
    free(json);
    count++;
  }
  FG_CHECK(count >= 9);
}

static void test_ratio_limit_and_frame_rules(void) {
  /* 40000 identical rows pack to less than 1/1024 of the frame: the packer refuses */
  fg_frame_layout_t l;
  memset(&l, 0, sizeof(l));
  l.field_count = 4;
  l.sample_count = 40000;
  for (int f = 0; f < 4; f++) {
    snprintf(l.fields[f].name, sizeof(l.fields[f].name), "f%d", f);
  }
  const size_t size = fg_frame_size(&l);
  uint8_t *frame = (uint8_t *)malloc(size);
  FG_CHECK_EQ(fg_frame_init(frame, size, &l), (int)size);
  const size_t sw = fg_codec_scratch_words(FG_METHOD_RLE, l.sample_count);
  uint32_t *scratch = (uint32_t *)malloc(sw * 4);
  uint8_t out[4096];
  FG_CHECK_EQ(fg_codec_pack(FG_METHOD_RLE, frame, size, out, sizeof(out), scratch, sw), FG_ERR_TOO_LARGE);
  free(scratch);
  free(frame);
  /* layout rules */
  memset(&l, 0, sizeof(l));
  l.sample_count = 1;
  l.field_count = 1;
  strcpy(l.fields[0].name, "timestamp");
  FG_CHECK_EQ(fg_frame_size(&l), 0);
  strcpy(l.fields[0].name, "Power");
  FG_CHECK_EQ(fg_frame_size(&l), 0);
  strcpy(l.fields[0].name, "power");
  l.fields[0].scale_exp = 10;
  FG_CHECK_EQ(fg_frame_size(&l), 0);
  l.fields[0].scale_exp = -9;
  FG_CHECK_EQ(fg_frame_size(&l), 16 + 8);
  /* decimals */
  FG_CHECK_EQ(fg_frame_decimals(0.1 + 0.2), 1);
  FG_CHECK_EQ(fg_frame_decimals(4.216), 3);
  FG_CHECK_EQ(fg_frame_decimals(230.0), 0);
  FG_CHECK_EQ(fg_frame_decimals(1.0 / 3.0), 6);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_primitives),     FG_TEST_CASE(test_blocks),
      FG_TEST_CASE(test_cases),          FG_TEST_CASE(test_invalid_packed),
      FG_TEST_CASE(test_invalid_batches), FG_TEST_CASE(test_ratio_limit_and_frame_rules),
  };
  const int rc = fg_test_run("codec", cases, sizeof(cases) / sizeof(cases[0]));
  cJSON_Delete(s_root);
  return rc;
}
