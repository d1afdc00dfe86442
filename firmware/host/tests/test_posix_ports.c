/* POSIX ports: file kv, HTTP client against an in-process loopback server, slot files. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fg_test.h"
#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_posix.h"

static char s_dir[64];

static void prv_cleanup(void) {
  if (s_dir[0] != '\0') {
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
    FG_CHECK(system(cmd) == 0);
    s_dir[0] = '\0';
  }
}

static void prv_tmpdir(void) {
  prv_cleanup();
  strcpy(s_dir, "/tmp/fg-ports-XXXXXX");
  FG_CHECK(mkdtemp(s_dir) != NULL);
}

static void test_kv(void) {
  prv_tmpdir();
  fg_kv_t kv;
  fg_posix_kv_ctx_t ctx;
  FG_CHECK_EQ(fg_posix_kv_init(&kv, &ctx, s_dir), 0);
  uint8_t buf[16];
  size_t len = 0;
  FG_CHECK_EQ(kv.get(kv.ctx, "fg_epoch", buf, sizeof(buf), &len), FG_ERR_NOT_FOUND);
  FG_CHECK_EQ(kv.set(kv.ctx, "fg_epoch", "abcd", 4), 0);
  FG_CHECK_EQ(kv.get(kv.ctx, "fg_epoch", buf, sizeof(buf), &len), 0);
  FG_CHECK_EQ(len, 4);
  FG_CHECK_MEM(buf, "abcd", 4);
  FG_CHECK_EQ(kv.get(kv.ctx, "fg_epoch", buf, 2, &len), FG_ERR_BUFFER_TOO_SMALL);
  FG_CHECK_EQ(kv.set(kv.ctx, "fg_epoch", "xy", 2), 0);
  FG_CHECK_EQ(kv.get(kv.ctx, "fg_epoch", buf, sizeof(buf), &len), 0);
  FG_CHECK_EQ(len, 2);
  FG_CHECK_EQ(kv.set(kv.ctx, "../escape", "x", 1), FG_ERR_INVALID_ARG);
  FG_CHECK_EQ(kv.set(kv.ctx, "a_key_too_long_for_nvs", "x", 1), FG_ERR_INVALID_ARG);
  FG_CHECK_EQ(kv.erase(kv.ctx, "fg_epoch"), 0);
  FG_CHECK_EQ(kv.erase(kv.ctx, "fg_epoch"), 0);
  FG_CHECK_EQ(kv.get(kv.ctx, "fg_epoch", buf, sizeof(buf), &len), FG_ERR_NOT_FOUND);
}

/* ---- a one-shot loopback HTTP server --------------------------------------------------- */
typedef struct {
  int listen_fd;
  const char *reply;
  char request[2048];
  size_t request_len;
} prv_server_t;

static void *prv_serve(void *arg) {
  prv_server_t *s = (prv_server_t *)arg;
  const int fd = accept(s->listen_fd, NULL, NULL);
  if (fd < 0) {
    return NULL;
  }
  s->request_len = 0;
  /* read until the body announced by Content-Length has arrived */
  for (;;) {
    const ssize_t n = recv(fd, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len, 0);
    if (n <= 0) {
      break;
    }
    s->request_len += (size_t)n;
    s->request[s->request_len] = '\0';
    const char *end = strstr(s->request, "\r\n\r\n");
    if (end != NULL) {
      const char *cl = strstr(s->request, "Content-Length: ");
      const size_t want = cl ? (size_t)atoi(cl + 16) : 0;
      if (s->request_len >= (size_t)(end + 4 - s->request) + want) {
        break;
      }
    }
  }
  (void)send(fd, s->reply, strlen(s->reply), 0);
  close(fd);
  return NULL;
}

static int prv_listen(int *port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0) {
    return -1;
  }
  socklen_t al = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &al);
  *port = ntohs(a.sin_port);
  return fd;
}

static int prv_exchange(const char *reply, const fg_http_request_t *req, fg_http_response_t *resp,
                        prv_server_t *srv) {
  int port = 0;
  srv->listen_fd = prv_listen(&port);
  srv->reply = reply;
  pthread_t th;
  pthread_create(&th, NULL, prv_serve, srv);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  fg_http_t http;
  fg_posix_http_ctx_t ctx;
  int rc = fg_posix_http_init(&http, &ctx, url, 5000);
  if (rc == 0) {
    rc = http.perform(http.ctx, req, resp);
  }
  pthread_join(th, NULL);
  close(srv->listen_fd);
  return rc;
}

static void test_http_content_length(void) {
  static prv_server_t srv;
  const char *reply =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Signature: "
      "38bfbd115f589cb1eac3d3b34b7c1515f2e3543902d19980cba969a24c894c7c\r\nContent-Length: "
      "11\r\n\r\n{\"ok\":true}";
  const fg_http_header_t hdr[] = {{"X-Nonce", "65536"}};
  const fg_http_request_t req = {.method = "POST", .path = "/aggregated/m1", .headers = hdr,
                                 .n_headers = 1, .content_type = "application/json",
                                 .body = (const uint8_t *)"{\"a\":1}", .body_len = 7};
  uint8_t body[64];
  fg_http_response_t resp = {.body = body, .body_cap = sizeof(body)};
  FG_CHECK_EQ(prv_exchange(reply, &req, &resp, &srv), 0);
  FG_CHECK_EQ(resp.status, 200);
  FG_CHECK_EQ(resp.body_len, 11);
  FG_CHECK_MEM(body, "{\"ok\":true}", 11);
  FG_CHECK_STR(resp.x_signature, "38bfbd115f589cb1eac3d3b34b7c1515f2e3543902d19980cba969a24c894c7c");
  FG_CHECK(strstr(srv.request, "POST /aggregated/m1 HTTP/1.1\r\n") == srv.request);
  FG_CHECK(strstr(srv.request, "X-Nonce: 65536\r\n") != NULL);
  FG_CHECK(strstr(srv.request, "Content-Length: 7\r\n") != NULL);
  FG_CHECK(strstr(srv.request, "\r\n\r\n{\"a\":1}") != NULL);
}

static void test_http_chunked_and_errors(void) {
  static prv_server_t srv;
  const char *reply =
      "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n"
      "5\r\n{\"a\":\r\n3\r\n12}\r\n0\r\n\r\n";
  const fg_http_request_t req = {.method = "GET", .path = "/x?y=1"};
  uint8_t body[64];
  fg_http_response_t resp = {.body = body, .body_cap = sizeof(body)};
  FG_CHECK_EQ(prv_exchange(reply, &req, &resp, &srv), 0);
  FG_CHECK_EQ(resp.status, 401);
  FG_CHECK_EQ(resp.body_len, 8);
  FG_CHECK_MEM(body, "{\"a\":12}", 8);
  FG_CHECK_EQ(resp.retry_after_s, 3);
  FG_CHECK_STR(resp.x_signature, "");
  /* body larger than the caller's buffer */
  const char *big = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789";
  fg_http_response_t small = {.body = body, .body_cap = 10};
  FG_CHECK_EQ(prv_exchange(big, &req, &small, &srv), FG_ERR_BUFFER_TOO_SMALL);
  /* nothing listening */
  fg_http_t http;
  fg_posix_http_ctx_t ctx;
  int port = 0;
  const int fd = prv_listen(&port);
  close(fd);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
  FG_CHECK_EQ(fg_posix_http_init(&http, &ctx, url, 1000), 0);
  FG_CHECK_EQ(http.perform(http.ctx, &req, &resp), FG_ERR_TRANSPORT);
  FG_CHECK_EQ(fg_posix_http_init(&http, &ctx, "https://x", 1000), FG_ERR_UNSUPPORTED);
  FG_CHECK_EQ(fg_posix_http_init(&http, &ctx, "http://h:80/api/", 1000), 0);
  FG_CHECK_STR(ctx.prefix, "/api");
}

static void test_flash_slots(void) {
  prv_tmpdir();
  fg_flash_t fl;
  fg_posix_flash_ctx_t ctx;
  FG_CHECK_EQ(fg_posix_flash_init(&fl, &ctx, s_dir, 4096), 0);
  FG_CHECK_EQ(ctx.running, 0);
  FG_CHECK_EQ(fl.begin(fl.ctx, 5000, 0), FG_ERR_RANGE);
  FG_CHECK_EQ(fl.begin(fl.ctx, 10, 0), 0);
  FG_CHECK_EQ(fl.write(fl.ctx, 0, (const uint8_t *)"01234", 5), 0);
  FG_CHECK_EQ(fl.write(fl.ctx, 5, (const uint8_t *)"56789", 5), 0);
  FG_CHECK_EQ(fl.write(fl.ctx, 8, (const uint8_t *)"xyz", 3), FG_ERR_RANGE);
  uint8_t back[10];
  FG_CHECK_EQ(fl.read(fl.ctx, 0, back, 10), 0);
  FG_CHECK_MEM(back, "0123456789", 10);
  FG_CHECK_EQ(fl.finish(fl.ctx, 10), 0);
  bool rolled = false;
  /* reboot: the new image boots pending verification */
  fg_posix_flash_ctx_t c2;
  FG_CHECK_EQ(fg_posix_flash_init(&fl, &c2, s_dir, 4096), 0);
  FG_CHECK_EQ(fg_posix_flash_boot(&c2, &rolled), 0);
  FG_CHECK(!rolled);
  FG_CHECK_EQ(c2.running, 1);
  FG_CHECK_EQ(c2.state[1], FG_POSIX_IMG_PENDING_VERIFY);
  FG_CHECK_EQ(fl.begin(fl.ctx, 10, 0), FG_ERR_STATE);
  /* reboot without confirming: rolled back */
  FG_CHECK_EQ(fg_posix_flash_boot(&c2, &rolled), 0);
  FG_CHECK(rolled);
  FG_CHECK_EQ(c2.running, 0);
  FG_CHECK_EQ(c2.state[1], FG_POSIX_IMG_ABORTED);
  /* again, this time confirmed */
  FG_CHECK_EQ(fl.begin(fl.ctx, 4, 0), 0);
  FG_CHECK_EQ(fl.write(fl.ctx, 0, (const uint8_t *)"abcd", 4), 0);
  FG_CHECK_EQ(fl.finish(fl.ctx, 4), 0);
  FG_CHECK_EQ(fg_posix_flash_boot(&c2, &rolled), 0);
  FG_CHECK_EQ(c2.running, 1);
  FG_CHECK_EQ(fl.confirm(fl.ctx), 0);
  FG_CHECK_EQ(fg_posix_flash_boot(&c2, &rolled), 0);
  FG_CHECK(!rolled);
  FG_CHECK_EQ(c2.running, 1);
  FG_CHECK_EQ(c2.state[1], FG_POSIX_IMG_VALID);
}

int main(void) {
  static const fg_test_case_t cases[] = {FG_TEST_CASE(test_kv), FG_TEST_CASE(test_http_content_length),
                                         FG_TEST_CASE(test_http_chunked_and_errors),
                                         FG_TEST_CASE(test_flash_slots)};
  const int rc = fg_test_run("posix_ports", cases, sizeof(cases) / sizeof(cases[0]));
  prv_cleanup();
  return rc;
}
