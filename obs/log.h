/*
 * log.h - the shim's voice: one line per event, "reconsume[<pid>]: <level>: ...",
 * to stderr or RECONSUME_LOG, never to stdout (the host owns stdout).
 *
 * The file named by RECONSUME_LOG belongs to the user, and the process to
 * the host (obs/log.c):
 * - it is opened lazily, at the first line written after the process
 *   registered a consumer: a process that never consumes (a shell, /bin/true
 *   under a global LD_PRELOAD) creates nothing. Until then, error lines go to
 *   stderr at once and the others are kept (4 KiB), to be written first into
 *   the file when it opens (or dropped, by a process that never consumes);
 * - it is opened without blocking and only if it is a regular file
 *   (io/open_regular.h): a FIFO, a device or a directory is refused with one
 *   line, and the lines go to stderr;
 * - before each write its descriptor is checked (device and inode) against
 *   what was opened, so that a host that closed it and got the number back
 *   for a file of its own never receives the shim's lines: the log is
 *   reopened instead;
 * - every line is made terminal-safe (util/escape.h).
 * Nothing of this is on the success path, which never logs; the steady state
 * takes no lock (a mutex guards only the kept lines and an open).
 */
#ifndef RECONSUME_OBS_LOG_H
#define RECONSUME_OBS_LOG_H

#include <stdatomic.h>
#include <stdbool.h>

#include "policy/config.h"

/* Route logging to path ("" = stderr) at the given level. Opens nothing
 * (see above); path is copied. */
void rc_log_open(const char *path, int level);

/* A consumer is being registered: from now on the log file may be opened.
 * Also implied by rc_stats' registration counters (obs/counters.h). */
void rc_log_arm(void);

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

/* Fork handlers (pthread_atfork, shim/init.c): the log's mutex is taken
 * before a fork and released in both processes; the child drops the lines
 * kept for its parent. */
void rc_log_atfork_prepare(void);
void rc_log_atfork_parent(void);
void rc_log_atfork_child(void);

#endif
