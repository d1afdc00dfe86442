/* In-memory fakes of the port interfaces with fault injection, for the unit tests. */
#ifndef FG_FAKES_H
#define FG_FAKES_H

#include <stdbool.h>

#include "fleetgate/platform/fg_platform.h"

#define FG_MEMKV_MAX 32

typedef struct {
  char key[FG_KV_KEY_MAX + 1];
  uint8_t data[512];
  size_t len;
  bool used;
} fg_memkv_entry_t;

typedef struct {
  fg_memkv_entry_t e[FG_MEMKV_MAX];
  int fail_sets;  /**< >0: the next N set() calls fail with FG_ERR_IO */
  int sets;       /**< number of successful set() calls (flash writes) */
} fg_memkv_t;

void fg_memkv_init(fg_kv_t *kv, fg_memkv_t *m);

typedef struct {
  uint64_t now_ms;
  int64_t unix_s;
  uint64_t slept_ms;
} fg_fakeclock_t;

void fg_fakeclock_init(fg_clock_t *clock, fg_fakeclock_t *c);

#endif

/* In-memory flash slot with an otadata-like state. */
typedef struct {
  uint8_t data[64 * 1024];
  size_t image_size;
  size_t begun_resume_offset;
  int begun;
  int finished;
  int aborted;
  int confirmed;
  int fail_write_at; /**< >0: the Nth write fails */
  int writes;
  int running_is_new; /**< the "reboot" went to the written image: read_running reads it */
  int fail_confirm;   /**< confirm() fails */
  int fail_finish;    /**< >0: the next N finish() calls fail (a power cut before the switch) */
  int rejected;
} fg_memflash_t;

void fg_memflash_init(fg_flash_t *flash, fg_memflash_t *m);
