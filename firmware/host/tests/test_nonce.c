/* Nonce manager: strictly increasing across reboots, one flash write per boot / 65,536
 * messages, lazy reservation, write failures, exhaustion, resync. */
#include "fg_fakes.h"
#include "fg_test.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_nonce.h"

static void test_first_boot_and_increase(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  FG_CHECK_EQ(m.sets, 0); /* lazy: nothing written until a nonce is needed */
  FG_CHECK_EQ(fg_nonce_boot_id(&n), 0);
  uint32_t a = 0, b = 0;
  FG_CHECK_EQ(fg_nonce_next(&n, &a), 0);
  FG_CHECK_EQ(a, 0x00010000u);
  FG_CHECK_EQ(fg_nonce_boot_id(&n), 1);
  FG_CHECK_EQ(fg_nonce_next(&n, &b), 0);
  FG_CHECK_EQ(b, 0x00010001u);
  FG_CHECK_EQ(m.sets, 1);
}

static void test_reboots_are_monotonic(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  uint32_t last = 0;
  for (int boot = 0; boot < 5; boot++) {
    fg_nonce_t n;
    FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
    for (int i = 0; i < 3 + boot * 100; i++) {
      uint32_t v;
      FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
      FG_CHECK(v > last);
      last = v;
    }
    FG_CHECK_EQ(fg_nonce_boot_id(&n), (uint32_t)boot + 1);
  }
  FG_CHECK_EQ(m.sets, 5); /* exactly one write per boot */
}

static void test_silent_boot_burns_nothing(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  for (int boot = 0; boot < 10; boot++) {
    fg_nonce_t n;
    FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  }
  FG_CHECK_EQ(m.sets, 0);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  FG_CHECK_EQ(fg_nonce_epochs_left(&n), 0xFFFF);
}

static void test_epoch_rollover_within_boot(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  uint32_t v = 0, prev = 0;
  for (uint32_t i = 0; i < 0x10000u; i++) {
    FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
    if (i > 0 && v <= prev) {
      FG_CHECK(v > prev);
      break;
    }
    prev = v;
  }
  FG_CHECK_EQ(v, 0x0001FFFFu);
  FG_CHECK_EQ(m.sets, 1);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
  FG_CHECK_EQ(v, 0x00020000u); /* the 65,537th message reserves epoch 2 */
  FG_CHECK_EQ(m.sets, 2);
  FG_CHECK_EQ(fg_nonce_boot_id(&n), 1); /* boot id stays the boot's first epoch */
  uint32_t stored = 0;
  FG_CHECK_EQ(fg_kv_get_u32(&kv, FG_NONCE_KV_KEY, &stored), 0);
  FG_CHECK_EQ(stored, 2);
}

static void test_write_failure_hands_out_nothing(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  m.fail_sets = 1;
  uint32_t v = 0;
  FG_CHECK_EQ(fg_nonce_next(&n, &v), FG_ERR_IO);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), 0); /* retried: reserves epoch 1 now */
  FG_CHECK_EQ(v, 0x00010000u);
}

static void test_exhaustion(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  FG_CHECK_EQ(fg_kv_set_u32(&kv, FG_NONCE_KV_KEY, 0xFFFE), 0);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  FG_CHECK_EQ(fg_nonce_epochs_left(&n), 1);
  uint32_t v = 0;
  FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
  FG_CHECK_EQ(v, 0xFFFF0000u);
  FG_CHECK_EQ(fg_nonce_epochs_left(&n), 0);
  for (uint32_t i = 1; i < 0x10000u; i++) {
    if (fg_nonce_next(&n, &v) != 0) {
      FG_CHECK(0);
      break;
    }
  }
  FG_CHECK_EQ(v, 0xFFFFFFFFu);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), FG_ERR_NONCE_EXHAUSTED);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), FG_ERR_NONCE_EXHAUSTED);
  /* and after a reboot too: never wraps */
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), FG_ERR_NONCE_EXHAUSTED);
}

static void test_corrupt_store_fails_closed(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  FG_CHECK_EQ(kv.set(kv.ctx, FG_NONCE_KV_KEY, "xy", 2), 0);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_kv_set_u32(&kv, FG_NONCE_KV_KEY, 0x10000), 0);
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), FG_ERR_FORMAT);
}

static void test_resync(void) {
  fg_kv_t kv;
  fg_memkv_t m;
  fg_memkv_init(&kv, &m);
  fg_nonce_t n;
  FG_CHECK_EQ(fg_nonce_init(&n, &kv), 0);
  uint32_t v = 0;
  FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
  /* the gateway has seen 0x00370005 (device storage was wiped): move past it */
  FG_CHECK_EQ(fg_nonce_resync(&n, 0x00370005u), 0);
  FG_CHECK_EQ(fg_nonce_next(&n, &v), 0);
  FG_CHECK_EQ(v, 0x00380000u);
  /* already ahead: no change */
  FG_CHECK_EQ(fg_nonce_resync(&n, 0x00010000u), 0);
  uint32_t w = 0;
  FG_CHECK_EQ(fg_nonce_next(&n, &w), 0);
  FG_CHECK_EQ(w, v + 1);
  FG_CHECK_EQ(fg_nonce_resync(&n, 0xFFFF0001u), FG_ERR_NONCE_EXHAUSTED);
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_first_boot_and_increase), FG_TEST_CASE(test_reboots_are_monotonic),
      FG_TEST_CASE(test_silent_boot_burns_nothing), FG_TEST_CASE(test_epoch_rollover_within_boot),
      FG_TEST_CASE(test_write_failure_hands_out_nothing), FG_TEST_CASE(test_exhaustion),
      FG_TEST_CASE(test_corrupt_store_fails_closed), FG_TEST_CASE(test_resync),
  };
  return fg_test_run("nonce", cases, sizeof(cases) / sizeof(cases[0]));
}
