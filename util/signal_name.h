/*
 * signal_name.h - the fatal signals the shim can recover from, by name.
 */
#ifndef RECONSUME_UTIL_SIGNAL_NAME_H
#define RECONSUME_UTIL_SIGNAL_NAME_H

#include <stddef.h>

/* "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT"; NULL for any other. */
const char *rc_signal_name(int signo);

/* The signal named by the n bytes at s (those names, any case), or 0. */
int rc_signal_by_name(const char *s, size_t n);

#endif
