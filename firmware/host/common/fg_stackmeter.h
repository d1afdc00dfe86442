/**
 * Host-only: measures the stack a function really uses by running it on a thread whose stack is
 * pre-filled with a pattern ("stack painting") and finding the deepest overwritten byte. The
 * thread's own overhead (glibc keeps its TCB/TLS at the top of the provided stack) is measured
 * once with an empty function and subtracted.
 */
#ifndef FG_STACKMETER_H
#define FG_STACKMETER_H

#include <stddef.h>

typedef void (*fg_stackmeter_fn)(void *arg);

/** Runs fn(arg) on a painted stack; returns the bytes of stack it used (0 on failure). */
size_t fg_stackmeter_run(fg_stackmeter_fn fn, void *arg);

#endif
