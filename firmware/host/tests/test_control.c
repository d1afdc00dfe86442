/* Remote configuration on the device: the register-name rule and ranges come from fg_limits.h
 * (generated from server/protocol/limits.ts), and a config the frame cannot carry is refused as a
 * whole, leaving the applied config (and so NVS, which is written only on success) untouched. */
#include "fg_test.h"
#include "fleetgate/fg_control.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_frame.h"
#include "fleetgate/fg_json.h"

static int prv_merge(fg_device_config_t *cfg, const char *json) {
  fg_json_tok_t toks[128];
  fg_json_doc_t doc;
  if (fg_json_parse(&doc, json, strlen(json), toks, 128) <= 0) {
    return FG_ERR_FORMAT;
  }
  return fg_config_merge(cfg, &doc, 0, NULL);
}

static void test_register_names_follow_the_frame(void) {
  static const char *const bad[] = {
      "{\"registers\":[\"Power\"]}",
      "{\"registers\":[\"power\",\"Power\"]}",
      "{\"registers\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}", /* 32 characters */
      "{\"registers\":[\"constructor\"]}",
      "{\"registers\":[\"timestamp\"]}",
      "{\"registers\":[\"1abc\"]}",
      "{\"registers\":[\"a-b\"]}",
      "{\"registers\":[\"po\\u0000wer\"]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    fg_device_config_t cfg;
    fg_config_defaults(&cfg);
    const fg_device_config_t before = cfg;
    const int rc = prv_merge(&cfg, bad[i]);
    if (rc == 0) {
      fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    FG_CHECK(rc != 0);
    FG_CHECK(memcmp(&cfg, &before, sizeof(cfg)) == 0); /* unchanged: nothing to persist */
  }
  fg_device_config_t cfg;
  fg_config_defaults(&cfg);
  FG_CHECK_EQ(prv_merge(&cfg, "{\"registers\":[\"power\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}"), 0);
  FG_CHECK_EQ(cfg.n_registers, 2);
  /* every accepted register is a valid frame field name */
  for (uint8_t i = 0; i < cfg.n_registers; i++) {
    FG_CHECK(fg_frame_name_valid(cfg.registers[i]));
  }
}

static void test_ranges_are_the_gateways(void) {
  fg_device_config_t cfg;
  fg_config_defaults(&cfg);
  char json[96];
  snprintf(json, sizeof(json), "{\"poll_frequency\":%d}", FG_LIMIT_POLL_FREQUENCY_MAX_S + 1);
  FG_CHECK_EQ(prv_merge(&cfg, json), FG_ERR_RANGE);
  snprintf(json, sizeof(json), "{\"heartbeat_interval\":%d}", FG_LIMIT_HEARTBEAT_INTERVAL_MIN_S - 1);
  FG_CHECK_EQ(prv_merge(&cfg, json), FG_ERR_RANGE);
  snprintf(json, sizeof(json), "{\"upload_frequency\":%d}", FG_LIMIT_UPLOAD_FREQUENCY_MAX_S);
  FG_CHECK_EQ(prv_merge(&cfg, json), 0);
}

static void test_reserved_names(void) {
  static const char *const reserved[] = FG_LIMIT_RESERVED_NAMES;
  FG_CHECK_EQ(sizeof(reserved) / sizeof(reserved[0]), FG_LIMIT_RESERVED_NAME_COUNT);
  for (size_t i = 0; i < FG_LIMIT_RESERVED_NAME_COUNT; i++) {
    FG_CHECK(fg_frame_name_reserved(reserved[i]));
    FG_CHECK(!fg_frame_name_valid(reserved[i]));
  }
  FG_CHECK(!fg_frame_name_reserved("power"));
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_register_names_follow_the_frame),
      FG_TEST_CASE(test_ranges_are_the_gateways),
      FG_TEST_CASE(test_reserved_names),
  };
  return fg_test_run("control", cases, sizeof(cases) / sizeof(cases[0]));
}
