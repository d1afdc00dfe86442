#include "fg_fakes.h"

#include <string.h>

#include "fleetgate/fg_err.h"

static fg_memkv_entry_t *prv_find(fg_memkv_t *m, const char *key) {
  for (int i = 0; i < FG_MEMKV_MAX; i++) {
    if (m->e[i].used && strcmp(m->e[i].key, key) == 0) {
      return &m->e[i];
    }
  }
  return NULL;
}

static int prv_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len) {
  fg_memkv_t *m = (fg_memkv_t *)ctx;
  fg_memkv_entry_t *e = prv_find(m, key);
  if (e == NULL) {
    return FG_ERR_NOT_FOUND;
  }
  *len = e->len;
  if (e->len > cap) {
    return FG_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(buf, e->data, e->len);
  return FG_OK;
}

static int prv_set(void *ctx, const char *key, const void *data, size_t len) {
  fg_memkv_t *m = (fg_memkv_t *)ctx;
  if (strlen(key) > FG_KV_KEY_MAX || len > sizeof(m->e[0].data)) {
    return FG_ERR_INVALID_ARG;
  }
  if (m->fail_sets > 0) {
    m->fail_sets--;
    return FG_ERR_IO;
  }
  fg_memkv_entry_t *e = prv_find(m, key);
  for (int i = 0; e == NULL && i < FG_MEMKV_MAX; i++) {
    if (!m->e[i].used) {
      e = &m->e[i];
      e->used = true;
      strcpy(e->key, key);
    }
  }
  if (e == NULL) {
    return FG_ERR_IO;
  }
  memcpy(e->data, data, len);
  e->len = len;
  m->sets++;
  return FG_OK;
}

static int prv_erase(void *ctx, const char *key) {
  fg_memkv_t *m = (fg_memkv_t *)ctx;
  fg_memkv_entry_t *e = prv_find(m, key);
  if (e != NULL) {
    e->used = false;
  }
  return FG_OK;
}

void fg_memkv_init(fg_kv_t *kv, fg_memkv_t *m) {
  memset(m, 0, sizeof(*m));
  kv->get = prv_get;
  kv->set = prv_set;
  kv->erase = prv_erase;
  kv->ctx = m;
}

static uint64_t prv_uptime(void *ctx) { return ((fg_fakeclock_t *)ctx)->now_ms; }

static int prv_unix(void *ctx, int64_t *out) {
  *out = ((fg_fakeclock_t *)ctx)->unix_s;
  return FG_OK;
}

static void prv_sleep(void *ctx, uint32_t ms) {
  fg_fakeclock_t *c = (fg_fakeclock_t *)ctx;
  c->now_ms += ms;
  c->slept_ms += ms;
}

void fg_fakeclock_init(fg_clock_t *clock, fg_fakeclock_t *c) {
  memset(c, 0, sizeof(*c));
  c->unix_s = 1700000000;
  clock->uptime_ms = prv_uptime;
  clock->unix_time = prv_unix;
  clock->sleep_ms = prv_sleep;
  clock->ctx = c;
}

static int prv_fl_begin(void *ctx, size_t image_size, size_t resume_offset) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  if (image_size > sizeof(m->data) || resume_offset > image_size) {
    return FG_ERR_RANGE;
  }
  if (resume_offset == 0) {
    memset(m->data, 0xFF, sizeof(m->data)); /* erased flash */
  }
  m->image_size = image_size;
  m->begun_resume_offset = resume_offset;
  m->begun++;
  m->finished = 0;
  return FG_OK;
}

static int prv_fl_write(void *ctx, size_t offset, const uint8_t *data, size_t len) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  m->writes++;
  if (m->fail_write_at > 0 && m->writes == m->fail_write_at) {
    return FG_ERR_IO;
  }
  if (offset + len > m->image_size) {
    return FG_ERR_RANGE;
  }
  memcpy(m->data + offset, data, len);
  return FG_OK;
}

static int prv_fl_read(void *ctx, size_t offset, uint8_t *data, size_t len) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  if (offset + len > m->image_size) {
    return FG_ERR_RANGE;
  }
  memcpy(data, m->data + offset, len);
  return FG_OK;
}

static int prv_fl_finish(void *ctx, size_t image_size) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  if (image_size != m->image_size) {
    return FG_ERR_STATE;
  }
  if (m->fail_finish > 0) {
    m->fail_finish--;
    return FG_ERR_IO;
  }
  m->finished++;
  return FG_OK;
}

static int prv_fl_abort(void *ctx) {
  ((fg_memflash_t *)ctx)->aborted++;
  return FG_OK;
}

static int prv_fl_confirm(void *ctx) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  m->confirmed++;
  return m->fail_confirm ? FG_ERR_IO : FG_OK;
}

static int prv_fl_read_running(void *ctx, size_t offset, uint8_t *data, size_t len) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  if (!m->running_is_new) {
    return FG_ERR_IO; /* the old image: the tests never read it */
  }
  if (offset + len > m->image_size) {
    return FG_ERR_RANGE;
  }
  memcpy(data, m->data + offset, len);
  return FG_OK;
}

static int prv_fl_reject(void *ctx) {
  fg_memflash_t *m = (fg_memflash_t *)ctx;
  m->rejected++;
  m->running_is_new = 0;
  return FG_OK;
}

void fg_memflash_init(fg_flash_t *flash, fg_memflash_t *m) {
  memset(m, 0, sizeof(*m));
  flash->begin = prv_fl_begin;
  flash->write = prv_fl_write;
  flash->read = prv_fl_read;
  flash->finish = prv_fl_finish;
  flash->abort = prv_fl_abort;
  flash->confirm = prv_fl_confirm;
  flash->read_running = prv_fl_read_running;
  flash->reject = prv_fl_reject;
  flash->ctx = m;
}
