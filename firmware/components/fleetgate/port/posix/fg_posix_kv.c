#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_posix.h"

static int prv_key_ok(const char *key) {
  const size_t n = strlen(key);
  if (n == 0 || n > FG_KV_KEY_MAX) {
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    const char c = key[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.')) {
      return 0;
    }
  }
  return key[0] != '.';
}

static int prv_path(const fg_posix_kv_ctx_t *c, const char *key, const char *suffix, char *out,
                    size_t cap) {
  const int n = snprintf(out, cap, "%s/%s%s", c->dir, key, suffix);
  return (n < 0 || (size_t)n >= cap) ? FG_ERR_RANGE : FG_OK;
}

static int prv_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len) {
  const fg_posix_kv_ctx_t *c = (const fg_posix_kv_ctx_t *)ctx;
  if (key == NULL || !prv_key_ok(key) || len == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  char path[FG_POSIX_PATH_MAX + 32];
  int rc = prv_path(c, key, "", path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? FG_ERR_NOT_FOUND : FG_ERR_FROM_PORT(errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = FG_ERR_FROM_PORT(errno);
    close(fd);
    return rc;
  }
  *len = (size_t)st.st_size;
  if ((size_t)st.st_size > cap) {
    close(fd);
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    const ssize_t r = read(fd, (uint8_t *)buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      close(fd);
      return FG_ERR_IO;
    }
    got += (size_t)r;
  }
  close(fd);
  return FG_OK;
}

static int prv_set(void *ctx, const char *key, const void *data, size_t len) {
  const fg_posix_kv_ctx_t *c = (const fg_posix_kv_ctx_t *)ctx;
  if (key == NULL || !prv_key_ok(key) || (data == NULL && len > 0)) {
    return FG_ERR_INVALID_ARG;
  }
  char path[FG_POSIX_PATH_MAX + 32];
  char tmp[FG_POSIX_PATH_MAX + 32];
  int rc = prv_path(c, key, "", path, sizeof(path));
  if (rc == 0) {
    rc = prv_path(c, key, ".tmp", tmp, sizeof(tmp));
  }
  if (rc != 0) {
    return rc;
  }
  const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return FG_ERR_FROM_PORT(errno);
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t w = write(fd, (const uint8_t *)data + done, len - done);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      close(fd);
      unlink(tmp);
      return FG_ERR_IO;
    }
    done += (size_t)w;
  }
  if (fsync(fd) != 0) {
    rc = FG_ERR_FROM_PORT(errno);
    close(fd);
    unlink(tmp);
    return rc;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    rc = FG_ERR_FROM_PORT(errno);
    unlink(tmp);
    return rc;
  }
  return FG_OK;
}

static int prv_erase(void *ctx, const char *key) {
  const fg_posix_kv_ctx_t *c = (const fg_posix_kv_ctx_t *)ctx;
  if (key == NULL || !prv_key_ok(key)) {
    return FG_ERR_INVALID_ARG;
  }
  char path[FG_POSIX_PATH_MAX + 32];
  const int rc = prv_path(c, key, "", path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  if (unlink(path) != 0 && errno != ENOENT) {
    return FG_ERR_FROM_PORT(errno);
  }
  return FG_OK;
}

int fg_posix_kv_init(fg_kv_t *kv, fg_posix_kv_ctx_t *ctx, const char *state_dir) {
  if (kv == NULL || ctx == NULL || state_dir == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  const int n = snprintf(ctx->dir, sizeof(ctx->dir), "%s/kv", state_dir);
  if (n < 0 || (size_t)n >= sizeof(ctx->dir)) {
    return FG_ERR_RANGE;
  }
  if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
    return FG_ERR_FROM_PORT(errno);
  }
  if (mkdir(ctx->dir, 0700) != 0 && errno != EEXIST) {
    return FG_ERR_FROM_PORT(errno);
  }
  kv->get = prv_get;
  kv->set = prv_set;
  kv->erase = prv_erase;
  kv->ctx = ctx;
  return FG_OK;
}
