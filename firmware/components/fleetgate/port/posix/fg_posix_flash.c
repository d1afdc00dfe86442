#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetgate/fg_err.h"
#include "fleetgate/port/fg_posix.h"

/* otadata file: "running boot_slot state0 state1 version0 version1\n" ("-" = no version). */

static int prv_otadata_path(const fg_posix_flash_ctx_t *c, char *out, size_t cap) {
  const int n = snprintf(out, cap, "%s/otadata", c->dir);
  return (n < 0 || (size_t)n >= cap) ? FG_ERR_RANGE : FG_OK;
}

static int prv_slot_path(const fg_posix_flash_ctx_t *c, uint32_t slot, char *out, size_t cap) {
  const int n = snprintf(out, cap, "%s/slot%u.bin", c->dir, (unsigned)slot);
  return (n < 0 || (size_t)n >= cap) ? FG_ERR_RANGE : FG_OK;
}

int fg_posix_flash_save(fg_posix_flash_ctx_t *c) {
  char path[FG_POSIX_PATH_MAX + 16];
  char tmp[FG_POSIX_PATH_MAX + 24];
  int rc = prv_otadata_path(c, path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  const int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  if (n < 0 || (size_t)n >= sizeof(tmp)) {
    return FG_ERR_RANGE;
  }
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    return FG_ERR_FROM_PORT(errno);
  }
  fprintf(f, "%u %u %u %u %s %s\n", (unsigned)c->running, (unsigned)c->boot_slot,
          (unsigned)c->state[0], (unsigned)c->state[1], c->version[0][0] ? c->version[0] : "-",
          c->version[1][0] ? c->version[1] : "-");
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
    fclose(f);
    return FG_ERR_IO;
  }
  fclose(f);
  return rename(tmp, path) == 0 ? FG_OK : FG_ERR_FROM_PORT(errno);
}

static int prv_load(fg_posix_flash_ctx_t *c) {
  char path[FG_POSIX_PATH_MAX + 16];
  int rc = prv_otadata_path(c, path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    if (errno != ENOENT) {
      return FG_ERR_FROM_PORT(errno);
    }
    c->running = 0;
    c->boot_slot = 0;
    c->state[0] = FG_POSIX_IMG_VALID;
    c->state[1] = FG_POSIX_IMG_ABORTED;
    c->version[0][0] = '\0';
    c->version[1][0] = '\0';
    return FG_OK;
  }
  unsigned run = 0, boot = 0, s0 = 0, s1 = 0;
  char v0[32], v1[32];
  const int got = fscanf(f, "%u %u %u %u %31s %31s", &run, &boot, &s0, &s1, v0, v1);
  fclose(f);
  if (got != 6 || run > 1 || boot > 1 || s0 > 3 || s1 > 3) {
    return FG_ERR_FORMAT;
  }
  c->running = run;
  c->boot_slot = boot;
  c->state[0] = s0;
  c->state[1] = s1;
  snprintf(c->version[0], sizeof(c->version[0]), "%s", strcmp(v0, "-") == 0 ? "" : v0);
  snprintf(c->version[1], sizeof(c->version[1]), "%s", strcmp(v1, "-") == 0 ? "" : v1);
  return FG_OK;
}

int fg_posix_flash_boot(fg_posix_flash_ctx_t *c, bool *rolled_back) {
  *rolled_back = false;
  const uint32_t cur = c->running;
  if (c->state[cur] == FG_POSIX_IMG_PENDING_VERIFY) {
    /* The image booted once and never confirmed itself: the bootloader goes back. */
    c->state[cur] = FG_POSIX_IMG_ABORTED;
    c->running = 1 - cur;
    c->boot_slot = c->running;
    *rolled_back = true;
  } else if (c->boot_slot != cur && c->state[c->boot_slot] == FG_POSIX_IMG_NEW) {
    c->running = c->boot_slot;
    c->state[c->running] = FG_POSIX_IMG_PENDING_VERIFY;
  }
  return fg_posix_flash_save(c);
}

static int prv_begin(void *ctx, size_t image_size, size_t resume_offset) {
  const bool resume = resume_offset > 0;
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (image_size == 0 || image_size > c->slot_size) {
    return FG_ERR_RANGE;
  }
  if (c->state[c->running] == FG_POSIX_IMG_PENDING_VERIFY) {
    return FG_ERR_STATE; /* ESP-IDF refuses too: confirm the running image first */
  }
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  const uint32_t target = 1 - c->running;
  char path[FG_POSIX_PATH_MAX + 16];
  const int rc = prv_slot_path(c, target, path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  c->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC), 0600);
  if (c->fd < 0) {
    return FG_ERR_FROM_PORT(errno);
  }
  if (!resume && c->boot_slot == target) {
    c->boot_slot = c->running; /* the old content of the slot is gone */
  }
  c->state[target] = FG_POSIX_IMG_ABORTED;
  c->image_size = image_size;
  return fg_posix_flash_save(c);
}

static int prv_write(void *ctx, size_t offset, const uint8_t *data, size_t len) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (c->fd < 0) {
    return FG_ERR_STATE;
  }
  if (offset + len > c->image_size) {
    return FG_ERR_RANGE;
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t w = pwrite(c->fd, data + done, len - done, (off_t)(offset + done));
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return FG_ERR_IO;
    }
    done += (size_t)w;
  }
  return fdatasync(c->fd) == 0 ? FG_OK : FG_ERR_IO;
}

static int prv_read(void *ctx, size_t offset, uint8_t *data, size_t len) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (c->fd < 0) {
    return FG_ERR_STATE;
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t r = pread(c->fd, data + done, len - done, (off_t)(offset + done));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return FG_ERR_IO;
    }
    done += (size_t)r;
  }
  return FG_OK;
}

static int prv_finish(void *ctx, size_t image_size) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (c->fd < 0) {
    return FG_ERR_STATE;
  }
  if (ftruncate(c->fd, (off_t)image_size) != 0) {
    return FG_ERR_IO;
  }
  close(c->fd);
  c->fd = -1;
  const uint32_t target = 1 - c->running;
  c->state[target] = FG_POSIX_IMG_NEW;
  c->boot_slot = target;
  return fg_posix_flash_save(c);
}

static int prv_abort(void *ctx) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  return FG_OK;
}

static int prv_read_running(void *ctx, size_t offset, uint8_t *data, size_t len) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  char path[FG_POSIX_PATH_MAX + 16];
  int rc = prv_slot_path(c, c->running, path, sizeof(path));
  if (rc != 0) {
    return rc;
  }
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? FG_ERR_NOT_FOUND : FG_ERR_FROM_PORT(errno);
  }
  size_t done = 0;
  while (done < len) {
    const ssize_t r = pread(fd, data + done, len - done, (off_t)(offset + done));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      close(fd);
      return FG_ERR_IO; /* shorter than asked: not the image the caller expects */
    }
    done += (size_t)r;
  }
  close(fd);
  return FG_OK;
}

/* A failed self-test: the running image is marked aborted and the other slot boots next (ESP-IDF's
 * esp_ota_mark_app_invalid_rollback_and_reboot; the caller simulates the reset). */
static int prv_reject(void *ctx) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  const uint32_t cur = c->running;
  if (c->state[cur] != FG_POSIX_IMG_PENDING_VERIFY) {
    return FG_ERR_STATE; /* only an unconfirmed image can be rolled back */
  }
  c->state[cur] = FG_POSIX_IMG_ABORTED;
  c->boot_slot = 1 - cur;
  c->running = 1 - cur;
  return fg_posix_flash_save(c);
}

static int prv_confirm(void *ctx) {
  fg_posix_flash_ctx_t *c = (fg_posix_flash_ctx_t *)ctx;
  if (c->state[c->running] != FG_POSIX_IMG_PENDING_VERIFY) {
    return FG_OK;
  }
  c->state[c->running] = FG_POSIX_IMG_VALID;
  return fg_posix_flash_save(c);
}

int fg_posix_flash_init(fg_flash_t *flash, fg_posix_flash_ctx_t *ctx, const char *state_dir,
                        size_t slot_size) {
  if (flash == NULL || ctx == NULL || state_dir == NULL) {
    return FG_ERR_INVALID_ARG;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->fd = -1;
  ctx->slot_size = slot_size;
  const int n = snprintf(ctx->dir, sizeof(ctx->dir), "%s", state_dir);
  if (n < 0 || (size_t)n >= sizeof(ctx->dir)) {
    return FG_ERR_RANGE;
  }
  if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
    return FG_ERR_FROM_PORT(errno);
  }
  const int rc = prv_load(ctx);
  if (rc != 0) {
    return rc;
  }
  flash->begin = prv_begin;
  flash->write = prv_write;
  flash->read = prv_read;
  flash->finish = prv_finish;
  flash->abort = prv_abort;
  flash->confirm = prv_confirm;
  flash->read_running = prv_read_running;
  flash->reject = prv_reject;
  flash->ctx = ctx;
  return FG_OK;
}
