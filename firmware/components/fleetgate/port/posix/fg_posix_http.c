#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_posix.h"

typedef struct {
  int fd;
  uint8_t buf[4096];
  size_t pos;
  size_t len;
} prv_reader_t;

static int prv_fill(prv_reader_t *r) {
  for (;;) {
    const ssize_t n = recv(r->fd, r->buf, sizeof(r->buf), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return FG_ERR_TRANSPORT;
    }
    r->pos = 0;
    r->len = (size_t)n;
    return FG_OK;
  }
}

/* Reads one CRLF-terminated line (without CRLF) into out. */
static int prv_line(prv_reader_t *r, char *out, size_t cap) {
  size_t o = 0;
  for (;;) {
    if (r->pos == r->len) {
      const int rc = prv_fill(r);
      if (rc != 0) {
        return rc;
      }
    }
    const char c = (char)r->buf[r->pos++];
    if (c == '\n') {
      if (o > 0 && out[o - 1] == '\r') {
        o--;
      }
      out[o] = '\0';
      return (int)o;
    }
    if (o + 1 >= cap) {
      return FG_ERR_FORMAT;
    }
    out[o++] = c;
  }
}

/* Reads n bytes; stores up to the room left in resp->body, counts everything. */
static int prv_body(prv_reader_t *r, fg_http_response_t *resp, size_t n, int *overflow) {
  while (n > 0) {
    if (r->pos == r->len) {
      const int rc = prv_fill(r);
      if (rc != 0) {
        return rc;
      }
    }
    size_t take = r->len - r->pos;
    if (take > n) {
      take = n;
    }
    if (resp->body_len + take <= resp->body_cap) {
      memcpy(resp->body + resp->body_len, &r->buf[r->pos], take);
      resp->body_len += take;
    } else {
      *overflow = 1;
    }
    r->pos += take;
    n -= take;
  }
  return FG_OK;
}

/* A header value as sent, trailing blanks dropped; "" when it does not fit (never truncated:
 * a truncated ETag or Content-Range must not match anything). */
static void prv_copy_header(char *out, size_t cap, const char *value) {
  size_t n = strlen(value);
  while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t')) {
    n--;
  }
  if (n >= cap) {
    out[0] = '\0';
    return;
  }
  memcpy(out, value, n);
  out[n] = '\0';
}

static int prv_send_all(int fd, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  while (len > 0) {
    const ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return FG_ERR_TRANSPORT;
    }
    p += n;
    len -= (size_t)n;
  }
  return FG_OK;
}

static int prv_connect(const fg_posix_http_ctx_t *c) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo *res = NULL;
  if (getaddrinfo(c->host, c->port, &hints, &res) != 0 || res == NULL) {
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      continue;
    }
    struct timeval tv = {.tv_sec = (time_t)(c->timeout_ms / 1000u),
                         .tv_usec = (suseconds_t)(c->timeout_ms % 1000u) * 1000};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      break;
    }
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

static int prv_perform(void *ctx, const fg_http_request_t *req, fg_http_response_t *resp) {
  fg_posix_http_ctx_t *c = (fg_posix_http_ctx_t *)ctx;
  if (req == NULL || resp == NULL || req->method == NULL || req->path == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  resp->status = 0;
  resp->body_len = 0;
  resp->x_signature[0] = '\0';
  resp->retry_after_s = 0;
  resp->etag[0] = '\0';
  resp->content_range[0] = '\0';
  c->exchanges++;

  char head[2048];
  int n = snprintf(head, sizeof(head),
                   "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\nAccept: "
                   "application/json\r\nUser-Agent: fleetgate-sim/1\r\n",
                   req->method, c->prefix, req->path, c->host, c->port);
  if (n < 0 || (size_t)n >= sizeof(head)) {
    return FG_ERR_RANGE;
  }
  size_t used = (size_t)n;
  for (size_t i = 0; i < req->n_headers; i++) {
    n = snprintf(head + used, sizeof(head) - used, "%s: %s\r\n", req->headers[i].name,
                 req->headers[i].value);
    if (n < 0 || (size_t)n >= sizeof(head) - used) {
      return FG_ERR_RANGE;
    }
    used += (size_t)n;
  }
  if (req->body_len > 0 || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0) {
    n = snprintf(head + used, sizeof(head) - used, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                 req->content_type != NULL ? req->content_type : "application/octet-stream",
                 req->body_len);
    if (n < 0 || (size_t)n >= sizeof(head) - used) {
      return FG_ERR_RANGE;
    }
    used += (size_t)n;
  }
  if (used + 3 > sizeof(head)) {
    return FG_ERR_RANGE;
  }
  memcpy(head + used, "\r\n", 3);
  used += 2;

  const int fd = prv_connect(c);
  if (fd < 0) {
    return FG_ERR_TRANSPORT;
  }
  int rc = prv_send_all(fd, head, used);
  if (rc == 0 && req->body_len > 0) {
    rc = prv_send_all(fd, req->body, req->body_len);
  }
  prv_reader_t *r = (prv_reader_t *)calloc(1, sizeof(*r)); /* host only; keeps the stack small */
  if (r == NULL) {
    close(fd);
    return FG_ERR_IO;
  }
  r->fd = fd;
  char line[1024];
  if (rc == 0) {
    rc = prv_line(r, line, sizeof(line));
    if (rc >= 0) {
      int status = 0;
      rc = (sscanf(line, "HTTP/1.%*d %d", &status) == 1 && status >= 100 && status <= 599)
               ? FG_OK
               : FG_ERR_FORMAT;
      resp->status = status;
    }
  }
  long long content_length = -1;
  int chunked = 0;
  while (rc == 0) {
    const int ln = prv_line(r, line, sizeof(line));
    if (ln < 0) {
      rc = ln;
      break;
    }
    if (ln == 0) {
      break;
    }
    char *colon = strchr(line, ':');
    if (colon == NULL) {
      continue;
    }
    *colon = '\0';
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t') {
      value++;
    }
    if (strcasecmp(line, "content-length") == 0) {
      content_length = strtoll(value, NULL, 10);
    } else if (strcasecmp(line, "transfer-encoding") == 0 && strstr(value, "chunked") != NULL) {
      chunked = 1;
    } else if (strcasecmp(line, "x-signature") == 0) {
      size_t vl = strlen(value);
      while (vl > 0 && (value[vl - 1] == ' ' || value[vl - 1] == '\t')) {
        vl--;
      }
      if (vl == 64) {
        memcpy(resp->x_signature, value, 64);
        resp->x_signature[64] = '\0';
      }
    } else if (strcasecmp(line, "retry-after") == 0) {
      resp->retry_after_s = (uint32_t)strtoul(value, NULL, 10);
    } else if (strcasecmp(line, "etag") == 0) {
      prv_copy_header(resp->etag, sizeof(resp->etag), value);
    } else if (strcasecmp(line, "content-range") == 0) {
      prv_copy_header(resp->content_range, sizeof(resp->content_range), value);
    }
  }
  int overflow = 0;
  if (rc == 0 && chunked) {
    for (;;) {
      const int ln = prv_line(r, line, sizeof(line));
      if (ln < 0) {
        rc = ln;
        break;
      }
      const unsigned long size = strtoul(line, NULL, 16);
      if (size == 0) {
        break; /* trailers ignored; connection closes */
      }
      rc = prv_body(r, resp, size, &overflow);
      if (rc == 0) {
        rc = prv_line(r, line, sizeof(line)) < 0 ? FG_ERR_FORMAT : FG_OK;
      }
      if (rc != 0) {
        break;
      }
    }
  } else if (rc == 0 && content_length >= 0) {
    rc = prv_body(r, resp, (size_t)content_length, &overflow);
  } else if (rc == 0) {
    /* read to EOF */
    for (;;) {
      if (r->pos == r->len && prv_fill(r) != 0) {
        break;
      }
      const size_t take = r->len - r->pos;
      rc = prv_body(r, resp, take, &overflow);
      if (rc != 0) {
        break;
      }
    }
  }
  free(r);
  close(fd);
  if (rc != 0) {
    return rc == FG_ERR_FORMAT ? FG_ERR_TRANSPORT : rc;
  }
  return overflow ? FG_ERR_BUFFER_TOO_SMALL : FG_OK;
}

int fg_posix_http_init(fg_http_t *http, fg_posix_http_ctx_t *ctx, const char *base_url,
                       uint32_t timeout_ms) {
  if (http == NULL || ctx == NULL || base_url == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(ctx, 0, sizeof(*ctx));
  const char *p = base_url;
  if (strncmp(p, "http://", 7) != 0) {
    return FG_ERR_UNSUPPORTED; /* the simulator speaks plain HTTP to a local gateway */
  }
  p += 7;
  const char *host_end = p + strcspn(p, ":/");
  const size_t host_len = (size_t)(host_end - p);
  if (host_len == 0 || host_len >= sizeof(ctx->host)) {
    return FG_ERR_FORMAT;
  }
  memcpy(ctx->host, p, host_len);
  p = host_end;
  if (*p == ':') {
    p++;
    const size_t port_len = strspn(p, "0123456789");
    if (port_len == 0 || port_len >= sizeof(ctx->port)) {
      return FG_ERR_FORMAT;
    }
    memcpy(ctx->port, p, port_len);
    p += port_len;
  } else {
    memcpy(ctx->port, "80", 3);
  }
  size_t prefix_len = strlen(p);
  while (prefix_len > 0 && p[prefix_len - 1] == '/') {
    prefix_len--;
  }
  if (prefix_len >= sizeof(ctx->prefix) || (prefix_len > 0 && p[0] != '/')) {
    return FG_ERR_FORMAT;
  }
  memcpy(ctx->prefix, p, prefix_len);
  ctx->timeout_ms = timeout_ms == 0 ? 10000 : timeout_ms;
  http->perform = prv_perform;
  http->ctx = ctx;
  return FG_OK;
}
