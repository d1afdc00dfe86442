/**
 * Host-only (simulator, tests, benchmarks): read a whole file into memory. Not part of the
 * portable core — a device reads keys and vectors through its port, never from a filesystem.
 */
#ifndef FG_HOST_FILE_H
#define FG_HOST_FILE_H

#include <stddef.h>

/**
 * The file's bytes, malloc'd and NUL-terminated (so text files can be used as strings), or NULL
 * if it is not a regular file or cannot be opened or read in full. `len` (optional) receives the size without the NUL.
 */
char *fg_host_read_file(const char *path, size_t *len);

#endif
