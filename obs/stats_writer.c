/*
 * stats_writer.c - see stats_writer.h.
 */
#include "obs/stats_writer.h"

#include "io/open_regular.h"
#include "io/open_why.h"
#include "io/xfsz.h"
#include "obs/counters.h"
#include "obs/log.h"
#include "obs/stats_export.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* One line of the time series beside the file, for charts of a run. A
 * FIFO, a device or a directory there is refused (a FIFO would block the
 * writer, or the consume thread destroying a consumer), said once. */
static void append_series(const char *path)
{
    char csv[4200], line[512];
    if (snprintf(csv, sizeof csv, "%s.csv", path) >= (int)sizeof csv)
        return;
    int fd = rc_open_regular(AT_FDCWD, csv, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644);
    if (fd < 0) {
        rc_log_once(series_said, RC_LOG_WARN,
                    "cannot append to %s (%s); the RECONSUME_STATS series is not written", csv,
                    rc_open_why(csv, errno));
        return;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int n = rc_stats_csv_row(line, sizeof line, end == 0,
                             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    if (n > 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    close(fd);
}

static int write_file(const char *path)
{
    char tmp[4200];
    /* A name of this thread's own: two writers (the thread, a destroy, the
     * exit) never share a temporary file; each renames a whole one. */
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%ld", path, (long)getpid(), (long)gettid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = rc_open_regular(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return -e;
    }
    rc_stats_prometheus(f);
    int bad = ferror(f);
    bad |= fflush(f) != 0;
    bad |= fsync(fd) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        if (!bad)
            e = errno;
        unlink(tmp);
        return -(e ? e : EIO);
    }
    append_series(path);
    return 0;
}

/* One write at a time, so that the last rename is of the latest counts (the
 * writer thread's write, taken before the exit's, must not land after it).
 * Held across a fork by the forking thread, so that a child never inherits
 * it locked by a thread it does not have. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void fork_prepare(void) { pthread_mutex_lock(&write_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&write_lock); }
static void fork_child(void) { pthread_mutex_init(&write_lock, NULL); }
static void register_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* The statistics file past RLIMIT_FSIZE fails; it does not end the host. */
int rc_stats_write(const char *path)
{
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&write_lock);
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    int rc = write_file(path);
    rc_xfsz_release(&hold);
    pthread_mutex_unlock(&write_lock);
    return rc;
}

/* ---- the writer thread --------------------------------------------------- */

static const char *writer_path;
static long writer_interval_ms;
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static bool delivered(void)
{
    for (int o = 0; o < RC_OUT_COUNT; o++)
        if (rc_stats_outcome((enum rc_outcome)o))
            return true;
    return false;
}

/* Written at once (the registration: reconsume_up and the groups), at the
 * first delivery (seen within FIRST_POLL_MS: a chart of the run starts at
 * its start), then every interval. Nothing is added to a delivery's path. */
#define FIRST_POLL_MS 100
static void *writer_main(void *arg)
{
    (void)arg;
    rc_stats_write(writer_path);
    bool seen = false;
    long since = 0;
    for (;;) {
        long step = seen || writer_interval_ms < FIRST_POLL_MS ? writer_interval_ms : FIRST_POLL_MS;
        pause_ms(step);
        since += step;
        if (!seen && delivered()) {
            seen = true;
            since = writer_interval_ms;
        }
        if (since >= writer_interval_ms) {
            rc_stats_write(writer_path);
            since = 0;
        }
    }
    return NULL;
}

static void start_writer(void)
{
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    /* The writer must not take signals meant for the host's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&th, &a, writer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
}

void rc_stats_start_writer(const char *path, long interval_ms)
{
    writer_path = path;
    writer_interval_ms = interval_ms;
    pthread_once(&writer_once, start_writer);
}
