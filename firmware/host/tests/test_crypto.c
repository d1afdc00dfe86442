/* SHA-256 / HMAC-SHA256 (RFC 4231, openssl-computed), AES-256-CBC (openssl enc) and RSA-PSS
 * (openssl dgst -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32) known answers. */
#include <stdlib.h>

#include "fg_test.h"
#include "fleetgate/fg_crypto.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"

static void prv_hex32(const uint8_t *d, char out[65]) { (void)fg_hex_encode(d, 32, out, 65); }

static void test_sha256_known(void) {
  uint8_t d[32];
  char hex[65];
  FG_CHECK_EQ(fg_sha256("abc", 3, d), 0);
  prv_hex32(d, hex);
  FG_CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  FG_CHECK_EQ(fg_sha256("", 0, d), 0);
  prv_hex32(d, hex);
  FG_CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  /* streaming in odd pieces equals one shot */
  static uint8_t big[1000];
  for (size_t i = 0; i < sizeof(big); i++) {
    big[i] = (uint8_t)(i * 7);
  }
  uint8_t one[32], parts[32];
  FG_CHECK_EQ(fg_sha256(big, sizeof(big), one), 0);
  fg_sha256_t h;
  FG_CHECK_EQ(fg_sha256_start(&h), 0);
  FG_CHECK_EQ(fg_sha256_update(&h, big, 1), 0);
  FG_CHECK_EQ(fg_sha256_update(&h, big + 1, 63), 0);
  FG_CHECK_EQ(fg_sha256_update(&h, big + 64, 0), 0);
  FG_CHECK_EQ(fg_sha256_update(&h, big + 64, sizeof(big) - 64), 0);
  FG_CHECK_EQ(fg_sha256_finish(&h, parts), 0);
  FG_CHECK_MEM(one, parts, 32);
}

static void test_hmac_rfc4231(void) {
  uint8_t key[20];
  memset(key, 0x0b, sizeof(key));
  uint8_t mac[32];
  char hex[65];
  FG_CHECK_EQ(fg_hmac_sha256(key, sizeof(key), "Hi There", 8, mac), 0);
  prv_hex32(mac, hex);
  FG_CHECK_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  /* RFC 4231 case 2: key "Jefe" */
  FG_CHECK_EQ(fg_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
  prv_hex32(mac, hex);
  FG_CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  /* key longer than the block (100 x 'k'), computed with openssl dgst -mac HMAC */
  uint8_t longkey[100];
  memset(longkey, 'k', sizeof(longkey));
  FG_CHECK_EQ(fg_hmac_sha256(longkey, sizeof(longkey), "abc", 3, mac), 0);
  prv_hex32(mac, hex);
  FG_CHECK_STR(hex, "b58b2b694fdba0dd76da3ebe99174f728d327560f36ece224e90867972479922");
}

static void test_ct_equal(void) {
  const uint8_t a[4] = {1, 2, 3, 4};
  const uint8_t b[4] = {1, 2, 3, 5};
  FG_CHECK(fg_ct_equal(a, a, 4));
  FG_CHECK(!fg_ct_equal(a, b, 4));
  uint8_t d[32];
  char hex[65];
  FG_CHECK_EQ(fg_sha256("abc", 3, d), 0);
  prv_hex32(d, hex);
  FG_CHECK(fg_ct_equal_hex(hex, 64, d));
  FG_CHECK(!fg_ct_equal_hex(hex, 63, d));
  hex[0] = 'B'; /* upper case is not the wire format */
  FG_CHECK(!fg_ct_equal_hex(hex, 64, d));
}

static void test_aes_cbc_openssl(void) {
  size_t klen, ivlen, ctlen;
  uint8_t *key = fg_test_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", &klen);
  uint8_t *iv = fg_test_hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", &ivlen);
  uint8_t *ct = fg_test_hex(
      "64bac78bf92341822f9cb229d5199006d90c3bab4f7eaa663a51e8c75086e82cd7fa2867ba396d0a9d9b1148ba9f"
      "dff692d61dbefdb2efac65f032217acc76ff", &ctlen);
  FG_CHECK_EQ(ctlen, 64);
  fg_aes_t aes;
  FG_CHECK_EQ(fg_aes256_dec_init(&aes, key), 0);
  uint8_t out[64];
  uint8_t chain[16];
  memcpy(chain, iv, 16);
  /* in two pieces: the IV carries over */
  FG_CHECK_EQ(fg_aes256_cbc_decrypt(&aes, chain, ct, 32, out), 0);
  FG_CHECK_EQ(fg_aes256_cbc_decrypt(&aes, chain, ct + 32, 32, out + 32), 0);
  FG_CHECK_MEM(out, "The quick brown fox jumps over the lazy dog, 48b!", 49);
  for (int i = 49; i < 64; i++) {
    FG_CHECK_EQ(out[i], 15); /* PKCS#7 */
  }
  /* a piece alone decrypts with the previous ciphertext block as IV */
  uint8_t out2[32];
  memcpy(chain, ct + 16, 16);
  FG_CHECK_EQ(fg_aes256_cbc_decrypt(&aes, chain, ct + 32, 32, out2), 0);
  FG_CHECK_MEM(out2, out + 32, 32);
  FG_CHECK_EQ(fg_aes256_cbc_decrypt(&aes, chain, ct, 15, out2), FG_ERR_RANGE);
  fg_aes_free(&aes);
  free(key);
  free(iv);
  free(ct);
}

static const char *s_pub_hex = "30820122300d06092a864886f70d01010105000382010f003082010a0282010100ca45b394be401a932681f5ba1f19b781b1bc17fb0a6a4739cf08c08e3262b85f65333a7c6bd1c226aaf7717636d46abef96328643abd4bddc7d6fb592ab5ff74afdc013a7e7d3b24e90e545cf3d24754dbd7023548f9854609c732e0b289b9b8871299741f212622c4c80ee7e85f9cfbefe90bdbea7a10522759200edd4c66b0243aba94ab8958e0fa2960ec055343fc551f6176a89b058b4dbac2e48e2ba2ac26b3da7f1efb5bc91088a365c834d9917fabac6f585f2a6cbb0f2f4fabcfe6c4cfc44a948decf00716d7c019037bf18c325c68da917a2e77a1a102c0eb3b9ec4e8f7deb548f0364fe37f1b161684cd21d5afd455898d7f82cd1602464cca22dd0203010001";
static const char *s_sig_hex = "3a3dc18abab78e34b626be81170677520436a4a267636bbc188eb13813479f5a46af59d8630019c23caa26247852ad7de1b730b8d660d078a2f60f87ab8a0b885cbdffa8a446b1573f0be830f3c512807999c93a1cdf87c00ed9a118ac3c50633a15881d0e7d76fe9acb0691ab9e239768ca4d8ec7bea13637290de7a3f5e0c5cfdcbd970184ef85514a8a38ee5d6a5f4131a2161f3372ccf8787b7e5d10f9c5175559d23c5679a5033b79af103e38112d2d85d927491cb28ef602959c8c27d64163483106ffcbe4a4bec0aa14c8218ed8d04b6223a90322af82f85b23c1e74b1f1ae910cd8ea5ef49e9a237ce773406f49518ee0cdd8a9350be4032a8834c70";
static const char *s_sig20_hex = "bacb8e998304319019ad8332c7a50166f5bb65f4299a1cd8dae87d12877569a5bdd4ef79c77206d0e580ba73a00d98fdbee2bd50d55a43a5bcd7ef13f0cd4547bc24b7578ea3f57969db63ac1d2d5aed6c8bc7112c34c274c643b9ca87cc31cc389e921e85153003fe57ebd74e324c2ca78b0c01cfebd3a4179128df384a2be8f487149d8a78bcc7ceaaac456c3c82a64d92e46dd333e5b917b9ca528cf6e11e73450b7484c4a88c33ffee0b746c30eda3cd4c6d3a0f6dfdec19f5f7193e39149d5e8060a63751148c6ba261ccb5ba97fddc9a5603cd2e887cd919891fbfe94ace38b10afa7d116cead7978fbf7da6e79e236884fd0fbc47c3984db2832c3a6e";

static void test_rsa_pss(void) {
  size_t pub_len, sig_len, sig20_len;
  uint8_t *pub = fg_test_hex(s_pub_hex, &pub_len);
  uint8_t *sig = fg_test_hex(s_sig_hex, &sig_len);
  uint8_t *sig20 = fg_test_hex(s_sig20_hex, &sig20_len);
  uint8_t hash[32];
  FG_CHECK_EQ(fg_sha256("fleetgate firmware", 18, hash), 0);
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, pub_len, hash, sig, sig_len), 0);
  /* salt length 20 is not the format's 32 */
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, pub_len, hash, sig20, sig20_len), FG_ERR_SIGNATURE);
  /* flipped bit in the signature / the message */
  sig[10] ^= 1;
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, pub_len, hash, sig, sig_len), FG_ERR_SIGNATURE);
  sig[10] ^= 1;
  hash[0] ^= 1;
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, pub_len, hash, sig, sig_len), FG_ERR_SIGNATURE);
  hash[0] ^= 1;
  /* wrong length, garbage key */
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, pub_len, hash, sig, sig_len - 1), FG_ERR_SIGNATURE);
  FG_CHECK_EQ(fg_rsa_pss_verify(pub, 20, hash, sig, sig_len), FG_ERR_FORMAT);
  free(pub);
  free(sig);
  free(sig20);
}

static void test_err_mapping(void) {
  const int mbed = -0x0062; /* e.g. MBEDTLS_ERR_RSA_VERIFY_FAILED's low part */
  const int fg = FG_ERR_FROM_MBEDTLS(mbed);
  FG_CHECK(FG_ERR_IS_MBEDTLS(fg));
  FG_CHECK_EQ(FG_ERR_TO_MBEDTLS(fg), mbed);
  FG_CHECK_EQ(FG_ERR_FROM_MBEDTLS(0), 0);
  FG_CHECK(FG_ERR_IS_MBEDTLS(FG_ERR_FROM_MBEDTLS(-0x7FFF)));
  const int port = FG_ERR_FROM_PORT(0x1102);
  FG_CHECK(FG_ERR_IS_PORT(port));
  FG_CHECK(!FG_ERR_IS_MBEDTLS(port));
  FG_CHECK_EQ(FG_ERR_TO_PORT(port), 0x1102);
  /* ESP_FAIL (-1), the one negative esp_err_t, lands in the port range too (was -0x1FFFF) */
  FG_CHECK(FG_ERR_IS_PORT(FG_ERR_FROM_PORT(-1)));
  FG_CHECK_STR(fg_err_name(FG_ERR_FROM_PORT(-1)), "port");
  FG_CHECK_EQ(FG_ERR_TO_PORT(FG_ERR_FROM_PORT(-1)), -1);
  FG_CHECK(FG_ERR_IS_PORT(FG_ERR_FROM_PORT(0x7FFFFFFF)));
  FG_CHECK_STR(fg_err_name(FG_ERR_AUTH), "auth");
  FG_CHECK_STR(fg_err_name(fg), "mbedtls");
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_sha256_known), FG_TEST_CASE(test_hmac_rfc4231),
      FG_TEST_CASE(test_ct_equal),     FG_TEST_CASE(test_aes_cbc_openssl),
      FG_TEST_CASE(test_rsa_pss),      FG_TEST_CASE(test_err_mapping),
  };
  return fg_test_run("crypto", cases, sizeof(cases) / sizeof(cases[0]));
}
