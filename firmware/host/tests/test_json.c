/* JSON tokenizer and writer. */
#include <math.h>
#include <stdlib.h>

#include "fg_test.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_json.h"

static void test_parse_lookup(void) {
  const char *js =
      "{\"success\":true,\"samples\":12,\"error\":null,\"list\":[1,-2.5,\"x\",{\"a\":[]}],"
      "\"s\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\",\"big\":4294967295,\"neg\":-7}";
  fg_json_tok_t toks[32];
  fg_json_doc_t doc;
  FG_CHECK(fg_json_parse(&doc, js, strlen(js), toks, 32) > 0);
  bool ok = false;
  FG_CHECK_EQ(fg_json_obj_bool(&doc, 0, "success", &ok), 0);
  FG_CHECK(ok);
  uint32_t u = 0;
  FG_CHECK_EQ(fg_json_obj_u32(&doc, 0, "samples", &u), 0);
  FG_CHECK_EQ(u, 12);
  FG_CHECK_EQ(fg_json_obj_u32(&doc, 0, "big", &u), 0);
  FG_CHECK_EQ(u, 4294967295u);
  FG_CHECK_EQ(fg_json_obj_u32(&doc, 0, "neg", &u), FG_ERR_RANGE);
  FG_CHECK_EQ(fg_json_obj_u32(&doc, 0, "missing", &u), FG_ERR_NOT_FOUND);
  const int list = fg_json_obj_get(&doc, 0, "list");
  FG_CHECK(list > 0);
  FG_CHECK_EQ(toks[list].size, 4);
  double d = 0;
  FG_CHECK_EQ(fg_json_get_double(&doc, fg_json_arr_get(&doc, list, 1), &d), 0);
  FG_CHECK(d == -2.5);
  int64_t i = 0;
  FG_CHECK_EQ(fg_json_get_i64(&doc, fg_json_arr_get(&doc, list, 1), &i), FG_ERR_RANGE);
  const int obj = fg_json_arr_get(&doc, list, 3);
  FG_CHECK_EQ(toks[obj].type, FG_JSON_OBJECT);
  FG_CHECK_EQ(fg_json_arr_get(&doc, list, 4), FG_ERR_NOT_FOUND);
  char s[32];
  FG_CHECK_EQ(fg_json_obj_str(&doc, 0, "s", s, sizeof(s)), 12);
  FG_CHECK_STR(s, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  FG_CHECK_EQ(fg_json_obj_str(&doc, 0, "s", s, 5), FG_ERR_BUFFER_TOO_SMALL);
  /* the member after a nested container is found */
  FG_CHECK_EQ(fg_json_obj_i64(&doc, 0, "neg", &i), 0);
  FG_CHECK_EQ(i, -7);
  const int k = fg_json_obj_key_at(&doc, 0, 4);
  FG_CHECK(fg_json_str_eq(&doc, k, "s"));
}

static void test_parse_rejects(void) {
  static const char *bad[] = {
      "",        "{",          "{\"a\":}",     "[1,]",       "{\"a\" 1}",   "01",
      "1.",      "-",          "\"abc",        "\"\\x\"",    "tru",         "[1] x",
      "{1:2}",   "\"a\nb\"",   "[\"\\u12\"]",  "nul",        "{\"a\":1,}",  "1e",
  };
  fg_json_tok_t toks[16];
  fg_json_doc_t doc;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const int rc = fg_json_parse(&doc, bad[i], strlen(bad[i]), toks, 16);
    if (rc >= 0) {
      fprintf(stderr, "accepted bad json: %s\n", bad[i]);
    }
    FG_CHECK(rc < 0);
  }
  char deep[80];
  memset(deep, '[', 40);
  memset(deep + 40, ']', 40);
  fg_json_tok_t many[64];
  FG_CHECK_EQ(fg_json_parse(&doc, deep, 80, many, 64), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_json_parse(&doc, "[1,2,3]", 7, toks, 3), FG_ERR_BUFFER_TOO_SMALL);
  FG_CHECK_EQ(fg_json_parse(&doc, " [ 1 , 2 ] ", 11, toks, 16), 3);
}

static void test_writer(void) {
  char buf[256];
  fg_jsonw_t w;
  fg_jsonw_init(&w, buf, sizeof(buf));
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "a");
  fg_jsonw_arr_begin(&w);
  fg_jsonw_i64(&w, -3);
  fg_jsonw_double(&w, 234.84);
  fg_jsonw_double(&w, 0.1 + 0.2);
  fg_jsonw_double(&w, NAN);
  fg_jsonw_arr_end(&w);
  fg_jsonw_key(&w, "s\"");
  fg_jsonw_str(&w, "x\ny\x01");
  fg_jsonw_key(&w, "e");
  fg_jsonw_obj_begin(&w);
  fg_jsonw_obj_end(&w);
  fg_jsonw_key(&w, "t");
  fg_jsonw_bool(&w, true);
  fg_jsonw_obj_end(&w);
  FG_CHECK(fg_jsonw_finish(&w) > 0);
  FG_CHECK_STR(buf, "{\"a\":[-3,234.84,0.30000000000000004,null],\"s\\\"\":\"x\\ny\\u0001\","
                    "\"e\":{},\"t\":true}");
  /* overflow is sticky and reported once */
  fg_jsonw_init(&w, buf, 8);
  fg_jsonw_obj_begin(&w);
  fg_jsonw_key(&w, "abcdefgh");
  fg_jsonw_i64(&w, 1);
  fg_jsonw_obj_end(&w);
  FG_CHECK_EQ(fg_jsonw_finish(&w), FG_ERR_BUFFER_TOO_SMALL);
  /* unbalanced */
  fg_jsonw_init(&w, buf, sizeof(buf));
  fg_jsonw_arr_begin(&w);
  FG_CHECK_EQ(fg_jsonw_finish(&w), FG_ERR_STATE);
}

static void test_double_roundtrip(void) {
  const double vals[] = {4.216, 0.418, 234.84, 18.4, 1e-300, 123456789.125, -0.001, 1.0 / 3.0};
  for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
    char tmp[32];
    FG_CHECK(fg_json_fmt_double(vals[i], tmp, sizeof(tmp)) > 0);
    FG_CHECK(strtod(tmp, NULL) == vals[i]);
  }
  char tmp[32];
  fg_json_fmt_double(4.216, tmp, sizeof(tmp));
  FG_CHECK_STR(tmp, "4.216");
}

int main(void) {
  static const fg_test_case_t cases[] = {FG_TEST_CASE(test_parse_lookup),
                                         FG_TEST_CASE(test_parse_rejects), FG_TEST_CASE(test_writer),
                                         FG_TEST_CASE(test_double_roundtrip)};
  return fg_test_run("json", cases, sizeof(cases) / sizeof(cases[0]));
}
