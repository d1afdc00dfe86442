/* Gateway client: signed requests, verified answers, retransmission of identical bytes,
 * rejection of injected / replayed / unsigned answers, uploads. */
#include <stdlib.h>

#include "fg_fakehttp.h"
#include "fg_fakes.h"
#include "fg_test.h"
#include "fleetgate/fg_client.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/fg_hex.h"
#include "fleetgate/fg_ota_gateway.h"
#include "fleetgate/fg_sign.h"

static uint8_t s_key[32];

typedef struct {
  fg_kv_t kv;
  fg_memkv_t mkv;
  fg_clock_t clock;
  fg_fakeclock_t fclock;
  fg_http_t http;
  fg_fakehttp_t fhttp;
  fg_platform_t plat;
  fg_nonce_t nonce;
  fg_client_t client;
  uint8_t rx[1024];
  int script; /* handler behaviour */
  /* script 8, /ota/firmware: what the streamed answer carries */
  int range_status;
  int range_key_bad;
  char range_etag[72];
  char range_content_range[64];
  char stash_sig[65];
  char stash_body[128];
  /* script 9: every OTA route that serves a build answers this refusal */
  int refusal_status;
  const char *refusal_code;
  int refusal_signer; /* 0 unsigned, 1 the device key, 2 another key */
} prv_env_t;

static prv_env_t s_env;

static int prv_handler(fg_fakehttp_t *f, const fg_http_request_t *req, fg_http_response_t *resp) {
  prv_env_t *e = (prv_env_t *)f->user;
  /* the request signature must verify, like the gateway checks it */
  const uint32_t nonce = fg_fakehttp_nonce(req);
  if (req->n_headers > 0) {
    char sig[65];
    fg_sign_request(s_key, nonce, req->method, req->path, req->body, req->body_len, sig);
    if (strcmp(sig, fg_fakehttp_header(req, "X-Signature")) != 0) {
      fg_fakehttp_reply(req, resp, 401, "{\"success\":false,\"error\":{\"code\":\"bad_signature\"}}", NULL);
      return 0;
    }
  }
  switch (e->script) {
    case 0: /* plain success */
      fg_fakehttp_reply(req, resp, 200, "{\"command\":null}", s_key);
      return 0;
    case 1: /* transport error, then 503, then success */
      if (f->calls == 1) {
        return FG_ERR_TRANSPORT;
      }
      if (f->calls == 2) {
        fg_fakehttp_reply(req, resp, 503, "{\"success\":false,\"error\":{\"code\":\"unavailable\"}}", NULL);
        return 0;
      }
      fg_fakehttp_reply(req, resp, 200, "{\"command\":null}", s_key);
      return 0;
    case 2: /* injected answer: signed with another key */
    {
      uint8_t other[32];
      memset(other, 0x42, sizeof(other));
      fg_fakehttp_reply(req, resp, 200, "{\"command\":{\"id\":\"evil\"}}", other);
      return 0;
    }
    case 3: /* unsigned 200 */
      fg_fakehttp_reply(req, resp, 200, "{\"command\":null}", NULL);
      return 0;
    case 4: /* record an answer, then replay it for the next request */
      if (f->calls == 1) {
        fg_fakehttp_reply(req, resp, 200, "{\"command\":{\"id\":\"c1\"}}", s_key);
        strcpy(e->stash_sig, resp->x_signature);
        memcpy(e->stash_body, resp->body, resp->body_len);
        e->stash_body[resp->body_len] = '\0';
        return 0;
      }
      fg_fakehttp_reply(req, resp, 200, e->stash_body, NULL);
      strcpy(resp->x_signature, e->stash_sig);
      return 0;
    case 5: /* unsigned error */
      fg_fakehttp_reply(req, resp, 401,
                        "{\"success\":false,\"error\":{\"code\":\"replay\",\"last_nonce\":99}}", NULL);
      return 0;
    case 6: /* upload ok, signed */
      fg_fakehttp_reply(req, resp, 200, "{\"success\":true,\"samples\":3,\"duplicate\":true}", s_key);
      return 0;
    case 7: /* always down */
      return FG_ERR_TRANSPORT;
    case 8: /* the OTA routes of README.md (OTA serving) */
      if (strncmp(req->path, "/ota/check/", 11) == 0) {
        fg_fakehttp_reply(req, resp, 200,
                          "{\"update_available\":true,\"current_version\":\"1.0.4\","
                          "\"latest_version\":\"1.0.6+esp.2\",\"version\":\"1.0.6+esp.2\"}",
                          s_key);
      } else if (strncmp(req->path, "/ota/manifest/", 14) == 0) {
        fg_fakehttp_reply(req, resp, 200, "{\"format_version\":2,\"version\":\"1.0.6\"}", s_key);
      } else if (strncmp(req->path, "/ota/hashes/", 12) == 0) {
        static const uint8_t page[12] = {'F', 'G', 'H', 'P', 3, 0, 0, 0, 0, 0, 0, 0};
        memcpy(resp->body, page, sizeof(page));
        resp->body_len = sizeof(page);
        resp->status = 200;
        uint8_t mac[32];
        fg_sign_response_mac(s_key, nonce, page, sizeof(page), mac);
        fg_hex_encode(mac, 32, resp->x_signature, sizeof(resp->x_signature));
      } else if (strncmp(req->path, "/ota/firmware/", 14) == 0) {
        /* a streamed 206: signed over "<ETag> <Content-Range>", not the body */
        const char *range = fg_fakehttp_header(req, "Range");
        resp->status = e->range_status;
        snprintf(resp->etag, sizeof(resp->etag), "%s", e->range_etag);
        snprintf(resp->content_range, sizeof(resp->content_range), "%s", e->range_content_range);
        memcpy(resp->body, "\x01\x02\x03\x04", 4);
        resp->body_len = 4;
        char binding[160];
        snprintf(binding, sizeof(binding), "%s %s", resp->etag, resp->content_range);
        uint8_t mac[32];
        static const uint8_t forger[32] = {0x42};
        fg_sign_nonce_mac(e->range_key_bad ? forger : s_key, nonce, binding, strlen(binding), mac);
        fg_hex_encode(mac, 32, resp->x_signature, sizeof(resp->x_signature));
        snprintf(e->stash_body, sizeof(e->stash_body), "%s", range != NULL ? range : "");
        if (e->range_status != 206) {
          fg_fakehttp_reply(req, resp, e->range_status,
                            "{\"success\":false,\"error\":{\"code\":\"security_counter_too_low\"}}", s_key);
        }
      } else {
        fg_fakehttp_reply(req, resp, 200, "{\"success\":true,\"recorded\":\"failure\"}", s_key);
      }
      return 0;
    case 9: /* a refusal (410 yanked, 409 not_assigned, ...), signed or not */
    {
      static const uint8_t other[32] = {0x42};
      char body[128];
      snprintf(body, sizeof(body), "{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"x\"}}",
               e->refusal_code);
      fg_fakehttp_reply(req, resp, e->refusal_status, body,
                        e->refusal_signer == 0 ? NULL : e->refusal_signer == 1 ? s_key : other);
      return 0;
    }
    default:
      return FG_ERR_TRANSPORT;
  }
}

static void prv_setup(int script) {
  prv_env_t *e = &s_env;
  memset(e, 0, sizeof(*e));
  for (int i = 0; i < 32; i++) {
    s_key[i] = (uint8_t)(0xA0 + i);
  }
  fg_memkv_init(&e->kv, &e->mkv);
  fg_fakeclock_init(&e->clock, &e->fclock);
  fg_fakehttp_init(&e->http, &e->fhttp, prv_handler, e);
  e->plat.kv = &e->kv;
  e->plat.clock = &e->clock;
  e->plat.http = &e->http;
  e->script = script;
  FG_CHECK_EQ(fg_nonce_init(&e->nonce, &e->kv), 0);
  FG_CHECK_EQ(fg_client_init(&e->client, &e->plat, "meter-1", s_key, &e->nonce, e->rx, sizeof(e->rx)), 0);
}

static void test_device_id_rules(void) {
  FG_CHECK(fg_client_device_id_valid("ESP32_EcoWatt_Smart"));
  FG_CHECK(fg_client_device_id_valid("a.b-c"));
  FG_CHECK(!fg_client_device_id_valid(""));
  FG_CHECK(!fg_client_device_id_valid(".."));
  FG_CHECK(!fg_client_device_id_valid("a/b"));
  FG_CHECK(!fg_client_device_id_valid("a b"));
  char long_id[70];
  memset(long_id, 'x', 65);
  long_id[65] = '\0';
  FG_CHECK(!fg_client_device_id_valid(long_id));
}

static void test_request_ok(void) {
  prv_setup(0);
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/commands/meter-1/poll", NULL, 0, &r), 0);
  FG_CHECK_EQ(r.status, 200);
  FG_CHECK(r.verified);
  FG_CHECK_EQ(r.nonce, 0x00010000u);
  FG_CHECK_STR((const char *)s_env.rx, "{\"command\":null}");
  FG_CHECK_STR(s_env.fhttp.last_nonce, "65536");
  /* next request: next nonce */
  FG_CHECK_EQ(fg_client_request(&s_env.client, "POST", "/commands/meter-1/result",
                                (const uint8_t *)"{\"a\":1}", 7, &r), 0);
  FG_CHECK_EQ(r.nonce, 0x00010001u);
}

static void test_retry_resends_identical_bytes(void) {
  prv_setup(1);
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/config", NULL, 0, &r), 0);
  FG_CHECK_EQ(r.attempts, 3);
  FG_CHECK_EQ(s_env.fhttp.calls, 3);
  FG_CHECK_STR(s_env.fhttp.nonce_log[0], "65536");
  FG_CHECK_STR(s_env.fhttp.nonce_log[1], "65536");
  FG_CHECK_STR(s_env.fhttp.nonce_log[2], "65536");
  FG_CHECK(s_env.fclock.slept_ms >= 500 + 1000);
}

static void test_gives_up(void) {
  prv_setup(7);
  s_env.client.max_attempts = 2;
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/config", NULL, 0, &r), FG_ERR_TRANSPORT);
  FG_CHECK_EQ(s_env.fhttp.calls, 2);
}

static void test_rejects_injected_answer(void) {
  prv_setup(2);
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/commands/meter-1/poll", NULL, 0, &r), FG_ERR_AUTH);
  FG_CHECK(!r.verified);
  prv_setup(3);
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/commands/meter-1/poll", NULL, 0, &r), FG_ERR_AUTH);
}

static void test_rejects_replayed_answer(void) {
  prv_setup(4);
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/commands/meter-1/poll", NULL, 0, &r), 0);
  /* the same genuine answer, replayed for a later request: its signature is for the old nonce */
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/commands/meter-1/poll", NULL, 0, &r), FG_ERR_AUTH);
}

static void test_unsigned_error(void) {
  prv_setup(5);
  fg_client_result_t r;
  FG_CHECK_EQ(fg_client_request(&s_env.client, "GET", "/config", NULL, 0, &r), FG_ERR_HTTP_STATUS);
  FG_CHECK_EQ(r.status, 401);
  FG_CHECK(!r.verified);
  FG_CHECK_STR(r.error_code, "replay");
  FG_CHECK_EQ(s_env.fhttp.calls, 1); /* 4xx is not retried */
}

static void test_upload(void) {
  prv_setup(6);
  fg_client_result_t r;
  char env[512];
  const char *doc = "{\"aggregated_data\":[{\"power\":1,\"timestamp\":5}]}";
  FG_CHECK_EQ(fg_client_upload(&s_env.client, (const uint8_t *)doc, strlen(doc), env, sizeof(env), &r), 0);
  FG_CHECK(r.verified);
  FG_CHECK_EQ(r.samples, 3);
  FG_CHECK(r.duplicate);
  FG_CHECK_STR(s_env.fhttp.last_path, "/aggregated/meter-1");
  FG_CHECK(strstr(s_env.fhttp.last_body, "\"nonce\":65536,") != NULL);
  /* unsigned upload answer: rejected like any other unsigned answer */
  s_env.script = 3;
  FG_CHECK_EQ(fg_client_upload(&s_env.client, (const uint8_t *)doc, strlen(doc), env, sizeof(env), &r), FG_ERR_AUTH);
  FG_CHECK(!r.verified);
  s_env.script = 0; /* signed but not an upload answer */
  FG_CHECK_EQ(fg_client_upload(&s_env.client, (const uint8_t *)doc, strlen(doc), env, sizeof(env), &r), FG_ERR_FORMAT);
  FG_CHECK_EQ(fg_client_upload(&s_env.client, (const uint8_t *)doc, strlen(doc), env, 20, &r), FG_ERR_BUFFER_TOO_SMALL);
}

/* fg_ota_gateway: paths, query encoding, bodies and answer parsing against the gateway's shapes */
static void test_ota_gateway_source(void) {
  prv_setup(8);
  fg_ota_gateway_t gw;
  fg_ota_source_t src;
  fg_ota_gateway_init(&src, &gw, &s_env.client);
  gw.security_counter = 7;
  char version[32];
  FG_CHECK_EQ(src.check(src.ctx, "1.0.4+esp.1", version, sizeof(version)), 0);
  FG_CHECK_STR(version, "1.0.6+esp.2");
  FG_CHECK_STR(s_env.fhttp.last_path, "/ota/check/meter-1?version=1.0.4%2Besp.1&security_counter=7");
  char manifest[256];
  size_t len = 0;
  FG_CHECK_EQ(src.manifest(src.ctx, "1.0.6+esp.2", manifest, sizeof(manifest), &len), 0);
  FG_CHECK_STR(s_env.fhttp.last_path, "/ota/manifest/1.0.6%2Besp.2");
  manifest[len] = '\0';
  FG_CHECK_STR(manifest, "{\"format_version\":2,\"version\":\"1.0.6\"}");
  uint8_t page[64];
  FG_CHECK_EQ(src.hash_page(src.ctx, "1.0.6", 3, page, sizeof(page), &len), 0);
  FG_CHECK_STR(s_env.fhttp.last_path, "/ota/hashes/1.0.6?page=3");
  FG_CHECK_EQ(len, 12);
  FG_CHECK_EQ(page[4], 3);
  /* one chunk by Range: the streamed signature, ETag and Content-Range are all checked */
  uint8_t root[32];
  memset(root, 0xab, sizeof(root));
  char etag[67] = "\"";
  for (int i = 0; i < 32; i++) {
    strcat(etag, "ab");
  }
  strcat(etag, "\"");
  const fg_ota_range_t range = {.chunk = 2, .offset = 8, .length = 4, .total = 16, .root = root};
  uint8_t chunk[128];
  s_env.range_status = 206;
  snprintf(s_env.range_etag, sizeof(s_env.range_etag), "%s", etag);
  snprintf(s_env.range_content_range, sizeof(s_env.range_content_range), "bytes 8-11/16");
  FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6+esp.2", &range, chunk, sizeof(chunk), &len), 0);
  FG_CHECK_STR(s_env.fhttp.last_path, "/ota/firmware/1.0.6%2Besp.2");
  FG_CHECK_STR(s_env.stash_body, "bytes=8-11");
  FG_CHECK_EQ(len, 4);
  FG_CHECK_EQ(chunk[3], 4);
  /* other bytes, another image, a forged signature, a signed refusal */
  snprintf(s_env.range_content_range, sizeof(s_env.range_content_range), "bytes 0-3/16");
  FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6", &range, chunk, sizeof(chunk), &len), FG_ERR_MISMATCH);
  snprintf(s_env.range_content_range, sizeof(s_env.range_content_range), "bytes 8-11/16");
  s_env.range_etag[1] = 'c';
  FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6", &range, chunk, sizeof(chunk), &len), FG_ERR_MISMATCH);
  snprintf(s_env.range_etag, sizeof(s_env.range_etag), "%s", etag);
  s_env.range_key_bad = 1;
  FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6", &range, chunk, sizeof(chunk), &len), FG_ERR_AUTH);
  s_env.range_key_bad = 0;
  s_env.range_status = 409;
  FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6", &range, chunk, sizeof(chunk), &len), FG_ERR_HTTP_STATUS);
  FG_CHECK_STR(gw.last_error, "security_counter_too_low");
  FG_CHECK_EQ(src.report(src.ctx, "1.0.6", false, "chunk_hash", "check chunk_hash failed at chunk 3"), 0);
  FG_CHECK_STR(s_env.fhttp.last_path, "/ota/complete/meter-1");
  FG_CHECK_STR(s_env.fhttp.last_body,
               "{\"success\":false,\"version\":\"1.0.6\",\"error\":\"chunk_hash: check chunk_hash "
               "failed at chunk 3\"}");
  FG_CHECK_EQ(src.report(src.ctx, "1.0.6", true, "", "booted and confirmed"), 0);
  FG_CHECK_STR(s_env.fhttp.last_body, "{\"success\":true,\"version\":\"1.0.6\"}");
}

/* Only a refusal whose signature verifies, with the status and code of fg_limits.h, ends a
 * download for good (FG_ERR_YANKED / FG_ERR_NOT_ASSIGNED) — on the manifest, hash page and Range
 * routes alike. Unsigned or wrongly signed ones (forgeries on plain HTTP) and other refusals stay
 * the errors the OTA machine retries later. */
static void test_ota_gateway_refusals(void) {
  static const struct {
    int status;
    const char *code;
    int signer;
    int want_json; /* manifest and hash page (fg_client_request) */
    int want_range;
  } cases[] = {
      {410, "yanked", 1, FG_ERR_YANKED, FG_ERR_YANKED},
      {409, "not_assigned", 1, FG_ERR_NOT_ASSIGNED, FG_ERR_NOT_ASSIGNED},
      {410, "yanked", 0, FG_ERR_HTTP_STATUS, FG_ERR_AUTH},        /* unsigned: a forgery */
      {409, "not_assigned", 0, FG_ERR_HTTP_STATUS, FG_ERR_AUTH},
      {410, "yanked", 2, FG_ERR_AUTH, FG_ERR_AUTH},               /* signed with another key */
      {409, "yanked", 1, FG_ERR_HTTP_STATUS, FG_ERR_HTTP_STATUS}, /* status and code disagree */
      {410, "not_assigned", 1, FG_ERR_HTTP_STATUS, FG_ERR_HTTP_STATUS},
      {409, "security_counter_too_low", 1, FG_ERR_HTTP_STATUS, FG_ERR_HTTP_STATUS},
  };
  uint8_t root[32];
  memset(root, 0xab, sizeof(root));
  const fg_ota_range_t range = {.chunk = 0, .offset = 0, .length = 4, .total = 16, .root = root};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    prv_setup(9);
    s_env.refusal_status = cases[i].status;
    s_env.refusal_code = cases[i].code;
    s_env.refusal_signer = cases[i].signer;
    fg_ota_gateway_t gw;
    fg_ota_source_t src;
    fg_ota_gateway_init(&src, &gw, &s_env.client);
    char manifest[256];
    uint8_t buf[256];
    size_t len = 0;
    FG_CHECK_EQ(src.manifest(src.ctx, "1.0.6", manifest, sizeof(manifest), &len), cases[i].want_json);
    FG_CHECK_EQ(gw.last_status, (uint32_t)cases[i].status);
    FG_CHECK_EQ(src.hash_page(src.ctx, "1.0.6", 0, buf, sizeof(buf), &len), cases[i].want_json);
    FG_CHECK_EQ(src.chunk(src.ctx, "1.0.6", &range, buf, sizeof(buf), &len), cases[i].want_range);
    FG_CHECK_EQ(s_env.fhttp.calls, 3); /* one request each: a 4xx is never resent */
  }
}

int main(void) {
  static const fg_test_case_t cases[] = {
      FG_TEST_CASE(test_device_id_rules),        FG_TEST_CASE(test_request_ok),
      FG_TEST_CASE(test_retry_resends_identical_bytes), FG_TEST_CASE(test_gives_up),
      FG_TEST_CASE(test_rejects_injected_answer), FG_TEST_CASE(test_rejects_replayed_answer),
      FG_TEST_CASE(test_unsigned_error),          FG_TEST_CASE(test_upload),
      FG_TEST_CASE(test_ota_gateway_source),     FG_TEST_CASE(test_ota_gateway_refusals),
  };
  return fg_test_run("client", cases, sizeof(cases) / sizeof(cases[0]));
}
