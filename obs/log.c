/*
 * log.c - see log.h.
 */
#include "obs/log.h"

#include "io/open_regular.h"
#include "io/open_why.h"
#include "io/xfsz.h"
#include "obs/counters.h"
#include "util/escape.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_CAP 2048    /* one line, escaped, with its newline */
#define KEPT_CAP 4096    /* lines kept until the file opens */
#define OPENS_MAX 64     /* opens of the file in the life of the process */

static int log_level = RC_LOG_INFO;
static char log_path[PATH_MAX]; /* "" = stderr */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/*
 * The open file: a record that never changes once published, so that a
 * reader gets the descriptor and what it must still be in one atomic load.
 * A reopen publishes a new record. A record's descriptor is never closed by
 * the shim: when it no longer is what was opened, the host has closed it,
 * and the number may be the host's now.
 */
struct log_file {
    int fd;
    dev_t dev;
    ino_t ino;
};
static struct log_file opened[OPENS_MAX]; /* filled under lock */
static unsigned n_opened;                 /* under lock */
static struct log_file refused = {2, 0, 0}; /* the file was refused: stderr */
static _Atomic(struct log_file *) current;  /* NULL: not opened yet */
static atomic_bool armed;

/* Guards the kept lines and an open; never taken once the file is open and
 * stays what it was. Innermost: nothing else is locked while it is held. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char kept[KEPT_CAP];
static size_t kept_len;
static unsigned kept_dropped;
static bool keeping_over; /* the file was opened or refused: nothing more is kept */

/* ---- lines ------------------------------------------------------------------ */

/* "reconsume[<pid>]: <prefix><message>\n", terminal-safe, at most LINE_CAP bytes. */
static size_t vformat(char *out, const char *prefix, const char *fmt, va_list ap)
{
    char raw[LINE_CAP];
    int n = snprintf(raw, sizeof raw, "reconsume[%ld]: %s", (long)getpid(), prefix);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof raw)
        n = (int)sizeof raw - 1;
    int m = vsnprintf(raw + n, sizeof raw - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof raw - 1)
        len = sizeof raw - 1; /* cut, but still one line */
    /* One byte left for the newline. */
    size_t o = rc_escape(out, LINE_CAP - 1, raw, len, 0, NULL);
    out[o++] = '\n';
    return o;
}

static size_t format(char *out, const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(out, prefix, fmt, ap);
    va_end(ap);
    return n;
}

/* A log file at RLIMIT_FSIZE must fail the write, not end the host. */
static void put(int fd, const char *p, size_t n)
{
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    rc_xfsz_release(&hold);
}

/* ---- the file ------------------------------------------------------------ */

static bool is_armed(void)
{
    return atomic_load_explicit(&armed, memory_order_relaxed) ||
           rc_counter_get(&rc_stats.registrations) > 0 ||
           rc_counter_get(&rc_stats.passthrough_registrations) > 0;
}

void rc_log_arm(void) { atomic_store_explicit(&armed, true, memory_order_relaxed); }

/* Is f's descriptor still the file that was opened? */
static bool still_ours(const struct log_file *f)
{
    struct stat st;
    return fstat(f->fd, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Under lock: the kept lines go first into what the log now is. */
static void flush_kept(int fd)
{
    if (kept_len > 0)
        put(fd, kept, kept_len);
    if (kept_dropped > 0 && RC_LOG_WARN <= log_level) {
        char line[LINE_CAP];
        put(fd, line, format(line, "warn: ", "%u earlier line%s did not fit in the %d bytes kept "
                             "until the log opened", kept_dropped, kept_dropped == 1 ? "" : "s",
                             KEPT_CAP));
    }
    kept_len = 0;
    kept_dropped = 0;
    keeping_over = true;
}

static void refuse(const char *why)
{
    rc_log_stderr("warn: %s; logging to stderr", why);
    flush_kept(2);
    atomic_store_explicit(&current, &refused, memory_order_release);
}

/* Open the file, or open it again when stale (the record found not to be
 * ours any more; NULL at the first open). */
static void open_log(struct log_file *stale)
{
    pthread_mutex_lock(&lock);
    if (atomic_load_explicit(&current, memory_order_acquire) != stale) {
        pthread_mutex_unlock(&lock); /* another thread did it */
        return;
    }
    char why[PATH_MAX + 128];
    if (n_opened == OPENS_MAX) {
        snprintf(why, sizeof why, "RECONSUME_LOG=%s: its descriptor was closed by the host %d times",
                 log_path, OPENS_MAX - 1);
        refuse(why);
        pthread_mutex_unlock(&lock);
        return;
    }
    int fd = rc_open_regular(AT_FDCWD, log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot open RECONSUME_LOG=%s (%s)", log_path,
                 rc_open_why(log_path, errno));
        refuse(why);
        pthread_mutex_unlock(&lock);
        return;
    }
    struct log_file *f = &opened[n_opened++];
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    if (stale && RC_LOG_WARN <= log_level) {
        char line[LINE_CAP];
        put(fd, line, format(line, "warn: ", "the log's descriptor %d was closed by the host "
                             "(or now names another file); RECONSUME_LOG=%s opened again as %d",
                             stale->fd, log_path, fd));
    }
    if (!keeping_over)
        flush_kept(fd);
    atomic_store_explicit(&current, f, memory_order_release);
    pthread_mutex_unlock(&lock);
}

/* Keep a line until the file opens; false when that is over. */
static bool keep(const char *line, size_t n)
{
    pthread_mutex_lock(&lock);
    bool over = keeping_over;
    if (!over) {
        if (kept_len + n <= sizeof kept) {
            memcpy(kept + kept_len, line, n);
            kept_len += n;
        } else {
            kept_dropped++;
        }
    }
    pthread_mutex_unlock(&lock);
    return !over;
}

static void emit(int level, const char *line, size_t n)
{
    if (!log_path[0]) {
        put(2, line, n);
        return;
    }
    /* At most a few rounds: each one either writes or moves the state on
     * (opened, reopened, refused); a host closing the descriptor again and
     * again between the check and the write gets stderr. */
    for (int round = 0; round < 4; round++) {
        struct log_file *f = atomic_load_explicit(&current, memory_order_acquire);
        if (f == &refused)
            break;
        if (f && still_ours(f)) {
            put(f->fd, line, n);
            return;
        }
        if (!f && !is_armed()) {
            if (level <= RC_LOG_ERROR)
                break; /* it may say why the process never registers: at once */
            if (keep(line, n))
                return;
            continue;
        }
        open_log(f);
    }
    put(2, line, n);
}

/* At exit: a process that registered a consumer but wrote no line since gets
 * the kept ones into its file. */
__attribute__((destructor)) static void log_fini(void)
{
    if (!log_path[0] || atomic_load_explicit(&current, memory_order_acquire) || !is_armed())
        return;
    int saved = errno;
    pthread_mutex_lock(&lock);
    bool any = kept_len > 0 || kept_dropped > 0;
    pthread_mutex_unlock(&lock);
    if (any)
        open_log(NULL);
    errno = saved;
}

/* ---- the interface --------------------------------------------------------- */

void rc_log_open(const char *path, int level)
{
    log_level = level;
    snprintf(log_path, sizeof log_path, "%s", path ? path : "");
}

bool rc_log_enabled(int level) { return level <= log_level; }

void rc_log(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    int saved = errno;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s: ", level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    char line[LINE_CAP];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(line, prefix, fmt, ap);
    va_end(ap);
    emit(level, line, n);
    errno = saved;
}

void rc_log_stderr(const char *fmt, ...)
{
    int saved = errno;
    char line[LINE_CAP];
    va_list ap;
    va_start(ap, fmt);
    size_t n = vformat(line, "", fmt, ap);
    va_end(ap);
    put(2, line, n);
    errno = saved;
}

void rc_log_atfork_prepare(void) { pthread_mutex_lock(&lock); }

void rc_log_atfork_parent(void) { pthread_mutex_unlock(&lock); }

void rc_log_atfork_child(void)
{
    kept_len = 0; /* the parent's lines, with its pid: its to write */
    kept_dropped = 0;
    pthread_mutex_unlock(&lock);
}
