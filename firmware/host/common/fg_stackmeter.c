#define _GNU_SOURCE
#include "fg_stackmeter.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PRV_STACK (1024u * 1024u)
#define PRV_PAINT 0xA5u

typedef struct {
  fg_stackmeter_fn fn;
  void *arg;
} prv_job_t;

static void *prv_thread(void *p) {
  prv_job_t *j = (prv_job_t *)p;
  if (j->fn != NULL) {
    j->fn(j->arg);
  }
  return NULL;
}

static size_t prv_measure(fg_stackmeter_fn fn, void *arg) {
  void *stack = NULL;
  if (posix_memalign(&stack, 4096, PRV_STACK) != 0) {
    return 0;
  }
  memset(stack, PRV_PAINT, PRV_STACK);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, PRV_STACK);
  prv_job_t job = {fn, arg};
  pthread_t th;
  size_t used = 0;
  if (pthread_create(&th, &attr, prv_thread, &job) == 0) {
    pthread_join(th, NULL);
    const uint8_t *s = (const uint8_t *)stack;
    size_t i = 0;
    while (i < PRV_STACK && s[i] == PRV_PAINT) {
      i++;
    }
    used = PRV_STACK - i;
  }
  pthread_attr_destroy(&attr);
  free(stack);
  return used;
}

size_t fg_stackmeter_run(fg_stackmeter_fn fn, void *arg) {
  static size_t baseline = 0;
  if (baseline == 0) {
    baseline = prv_measure(NULL, NULL);
  }
  const size_t used = prv_measure(fn, arg);
  return used > baseline ? used - baseline : 0;
}
