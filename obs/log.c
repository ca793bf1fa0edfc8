#include "obs/log.h"

#include "io/xfsz.h"
#include "util/escape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int log_fd = 2;
static int log_level = RC_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void rc_log_open(const char *path, int level)
{
    log_level = level;
    if (path && path[0]) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            log_fd = fd;
        else
            rc_log_stderr("warn: cannot open RECONSUME_LOG=%s (%m); logging to stderr", path);
    }
}

bool rc_log_enabled(int level) { return level <= log_level; }

/*
 * Message ids, topics and exception texts come from the wire or the
 * application: each line is made terminal-safe (util/escape.h: C0 and C1
 * controls, bidirectional controls and invalid UTF-8 become \xNN), so that
 * it can neither forge a log line nor drive or reorder the operator's
 * terminal.
 */
static void vlog_fd(int fd, const char *prefix, const char *fmt, va_list ap)
{
    char raw[2048], line[2048];
    int saved = errno;
    int n = snprintf(raw, sizeof raw, "reconsume[%ld]: %s", (long)getpid(), prefix);
    if (n < 0)
        n = 0;
    int m = vsnprintf(raw + n, sizeof raw - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof raw - 1)
        len = sizeof raw - 1; /* cut, but still one line */
    /* One byte left for the newline. */
    len = rc_escape(line, sizeof line - 1, raw, len, 0, NULL);
    line[len++] = '\n';

    /* A log file at RLIMIT_FSIZE must fail the write, not end the host. */
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    ssize_t w;
    do
        w = write(fd, line, len);
    while (w < 0 && errno == EINTR);
    rc_xfsz_release(&hold);
    errno = saved;
}

void rc_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s: ", level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    va_list ap;
    va_start(ap, fmt);
    vlog_fd(log_fd, prefix, fmt, ap);
    va_end(ap);
}

void rc_log_stderr(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog_fd(2, "", fmt, ap);
    va_end(ap);
}
