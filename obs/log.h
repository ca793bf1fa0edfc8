/*
 * log.h - the shim's voice: one line per event, "reconsume[<pid>]: <level>: ...",
 * to stderr or RECONSUME_LOG, never to stdout (the host owns stdout).
 */
#ifndef RECONSUME_OBS_LOG_H
#define RECONSUME_OBS_LOG_H

#include <stdatomic.h>
#include <stdbool.h>

#include "policy/config.h"

/* Route logging to path ("" = stderr) at the given level. */
void rc_log_open(const char *path, int level);

bool rc_log_enabled(int level);

/* One line; the trailing newline is added. A single write(2), so lines from
 * threads never interleave. errno is preserved. */
void rc_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log only the first time the flag is seen clear ("said once"). */
#define rc_log_once(flag, level, ...)                                       \
    do {                                                                    \
        static atomic_flag flag = ATOMIC_FLAG_INIT;                         \
        if (!atomic_flag_test_and_set_explicit(&flag, memory_order_relaxed)) \
            rc_log(level, __VA_ARGS__);                                     \
    } while (0)

/* Before logging is configured (bad config): straight to stderr. */
void rc_log_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
