/* fileno() is POSIX, not C99. */
#define _POSIX_C_SOURCE 200809L

#include "fg_host_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

char *fg_host_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return NULL;
  }
  /* fopen succeeds on a directory, whose SEEK_END "size" is LONG_MAX: only regular files. */
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return NULL;
  }
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) {
    size = ftell(f);
  }
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  char *buf = (char *)malloc((size_t)size + 1);
  if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  buf[size] = '\0';
  if (len != NULL) {
    *len = (size_t)size;
  }
  return buf;
}
