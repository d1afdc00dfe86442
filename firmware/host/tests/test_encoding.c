/* hex and base64 round trips, RFC 4648 vectors and strictness. */
#include "fg_test.h"
#include "fleetgate/fg_base64.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_semver.h"

static void test_hex(void) {
  const uint8_t data[] = {0x00, 0x7f, 0x80, 0xff, 0xab};
  char hex[11];
  FG_CHECK_EQ(fg_hex_encode(data, sizeof(data), hex, sizeof(hex)), 0);
  FG_CHECK_STR(hex, "007f80ffab");
  FG_CHECK_EQ(fg_hex_encode(data, sizeof(data), hex, 10), FG_ERR_BUFFER_TOO_SMALL);
  uint8_t back[5];
  FG_CHECK_EQ(fg_hex_decode("007F80ffAB", 10, back, sizeof(back)), 5);
  FG_CHECK_MEM(back, data, 5);
  FG_CHECK_EQ(fg_hex_decode("007", 3, back, sizeof(back)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_hex_decode("0g", 2, back, sizeof(back)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_hex_decode("0000", 4, back, 1), FG_ERR_BUFFER_TOO_SMALL);
}

static void test_base64_rfc4648(void) {
  static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char out[16];
    const int n = fg_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), out, sizeof(out));
    FG_CHECK_EQ(n, (int)strlen(enc[i]));
    FG_CHECK_STR(out, enc[i]);
    uint8_t back[16];
    const int m = fg_base64_decode(enc[i], strlen(enc[i]), back, sizeof(back));
    FG_CHECK_EQ(m, (int)strlen(plain[i]));
    FG_CHECK_MEM(back, plain[i], strlen(plain[i]));
  }
}

static void test_base64_strict(void) {
  uint8_t out[16];
  FG_CHECK_EQ(fg_base64_decode("Zg=", 3, out, sizeof(out)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_base64_decode("Zh==", 4, out, sizeof(out)), FG_ERR_FORMAT); /* stray bits */
  FG_CHECK_EQ(fg_base64_decode("Zm9=", 4, out, sizeof(out)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_base64_decode("Z=9v", 4, out, sizeof(out)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_base64_decode("Zm9v\n", 5, out, sizeof(out)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_base64_decode("Zm-v", 4, out, sizeof(out)), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_base64_decode("Zm9vYmFy", 8, out, 5), FG_ERR_BUFFER_TOO_SMALL);
  char small[4];
  FG_CHECK_EQ(fg_base64_encode((const uint8_t *)"foo", 3, small, sizeof(small)),
              FG_ERR_BUFFER_TOO_SMALL);
}

static void test_base64_all_bytes(void) {
  uint8_t data[256];
  for (int i = 0; i < 256; i++) {
    data[i] = (uint8_t)i;
  }
  for (size_t len = 0; len <= 256; len += 37) {
    char enc[400];
    uint8_t dec[300];
    const int n = fg_base64_encode(data, len, enc, sizeof(enc));
    FG_CHECK_EQ(n, (int)FG_BASE64_ENCODED_LEN(len));
    FG_CHECK_EQ(fg_base64_decode(enc, (size_t)n, dec, sizeof(dec)), (int)len);
    FG_CHECK_MEM(dec, data, len);
  }
}

static int prv_cmp(const char *a, const char *b) {
  int out = 99;
  FG_CHECK_EQ(fg_semver_cmp(a, b, &out), 0);
  return out;
}

static void test_semver(void) {
  /* semver.org §11 example chain, every adjacent pair and both directions */
  static const char *chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
                                "1.0.1", "1.0.10", "1.2.0", "2.0.0", "10.0.0",
                                "18446744073709551616.0.0"};
  const size_t n = sizeof(chain) / sizeof(chain[0]);
  for (size_t i = 0; i + 1 < n; i++) {
    FG_CHECK(prv_cmp(chain[i], chain[i + 1]) < 0);
    FG_CHECK(prv_cmp(chain[i + 1], chain[i]) > 0);
    FG_CHECK_EQ(prv_cmp(chain[i], chain[i]), 0);
  }
  FG_CHECK_EQ(prv_cmp("1.0.5+esp32", "1.0.5+build.7"), 0); /* build metadata is ignored */
  FG_CHECK(prv_cmp("1.0.5-rc.1+x", "1.0.5") < 0);
  FG_CHECK(prv_cmp("1.0.0-a-b", "1.0.0-a") > 0);
  static const char *bad[] = {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.00.0", "v1.0.0", "1.0.0-",
                              "1.0.0-01", "1.0.0-a..b", "1.0.0+", "1.0.0+a..b", "1.0.0 ", "1.0.x",
                              "1.0.0-a_b", "-1.0.0", "1..0"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int out = 0;
    FG_CHECK(!fg_semver_valid(bad[i]));
    FG_CHECK_EQ(fg_semver_cmp(bad[i], "1.0.0", &out), FG_ERR_FORMAT);
  }
  FG_CHECK(fg_semver_valid("0.0.0-0.a-b.c+build-1.2"));
  FG_CHECK(fg_semver_valid("1.0.0-0"));
  int out = 0;
  FG_CHECK_EQ(fg_semver_cmp(NULL, "1.0.0", &out), FG_ERR_INVALID_ARG);
  char long_v[80];
  memset(long_v, '1', sizeof(long_v));
  long_v[0] = '1';
  long_v[1] = '.';
  long_v[2] = '0';
  long_v[3] = '.';
  long_v[79] = '\0';
  FG_CHECK(!fg_semver_valid(long_v)); /* over FG_SEMVER_MAX_LEN */
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_hex), FG_TEST_CASE(test_base64_rfc4648), FG_TEST_CASE(test_base64_strict),
      FG_TEST_CASE(test_base64_all_bytes), FG_TEST_CASE(test_semver)};
  return fg_test_run("encoding", cases, sizeof(cases) / sizeof(cases[0]));
}
