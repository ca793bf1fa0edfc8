/*
 * shim_state.c - see shim_state.h.
 */
#include "obs/shim_state.h"

#include "io/open_regular.h"
#include "io/proc_stat.h"
#include "obs/stats_writer.h"
#include "util/escape.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[RC_STATE_REASONS] = {
    "none", "disabled", "config-invalid", "out-of-memory", "atfork-failed",
    "spool-refused", "signal-handlers", "journal-refused",
};

static _Atomic int state_now = RC_STATE_ACTIVE;
static char detail_text[1024];
static const char *stats_path;
static atomic_bool armed;
static long my_pid; /* whose file it is (not a forked child's) */
static long owner;  /* the process that loaded the shim */

/* A child forked later publishes nothing: the file is its parent's, and the
 * lock may have been held by a thread that the fork did not copy. */
static bool forked_child(void)
{
    long me = (long)getpid();
    if (owner == 0)
        owner = me;
    return owner != me;
}
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

const char *rc_state_reason_name(enum rc_state_reason r)
{
    return (unsigned)r < RC_STATE_REASONS ? names[r] : "unknown";
}

enum rc_state_reason rc_state_get(void) { return (enum rc_state_reason)atomic_load(&state_now); }

void rc_state_set_stats_path(const char *path) { stats_path = path && path[0] ? path : NULL; }

/* The directory, made if missing; its descriptor if it is ours alone. */
static int open_dir(char *dir, size_t cap)
{
    if (!rc_state_path(dir, cap, secure_getenv("XDG_RUNTIME_DIR"), (unsigned)geteuid(), 0, true))
        return -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
        close(fd);
        return -1;
    }
    return fd;
}

static void write_state(enum rc_state_reason r, const char *detail)
{
    char dir[PATH_MAX], name[64], tmp[80], text[2048], esc[1024];
    int dfd = open_dir(dir, sizeof dir);
    if (dfd < 0)
        return;
    my_pid = (long)getpid();
    snprintf(name, sizeof name, "%ld.state", my_pid);
    snprintf(tmp, sizeof tmp, "%ld.state.tmp", my_pid);
    esc[0] = '\0';
    if (detail)
        rc_escape(esc, sizeof esc, detail, strlen(detail), RC_ESC_BACKSLASH, NULL);
    int n = snprintf(text, sizeof text, "state=%s\nreason=%s\ndetail=%s\npid=%ld\nstart=%llu\nversion=%s\n",
                     r == RC_STATE_ACTIVE ? "active" : "pass-through", rc_state_reason_name(r), esc,
                     my_pid, (unsigned long long)rc_proc_start_ticks(getpid(), NULL), RC_VERSION);
    int fd = rc_open_regular(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        bool ok = n > 0 && write(fd, text, (size_t)n) == n;
        ok &= close(fd) == 0;
        if (!ok || renameat(dfd, tmp, dfd, name) != 0)
            unlinkat(dfd, tmp, 0);
    }
    close(dfd);
}

/* The file, and in pass-through the statistics; under the state_lock. */
static void publish(void)
{
    enum rc_state_reason r = rc_state_get();
    write_state(r, detail_text[0] ? detail_text : NULL);
    if (r != RC_STATE_ACTIVE && stats_path)
        rc_stats_write(stats_path);
}

void rc_state_set(enum rc_state_reason r, const char *detail)
{
    int saved = errno;
    atomic_store(&state_now, (int)r);
    if (forked_child()) {
        errno = saved;
        return;
    }
    pthread_mutex_lock(&state_lock);
    snprintf(detail_text, sizeof detail_text, "%s", detail ? detail : "");
    if (atomic_load(&armed))
        publish();
    pthread_mutex_unlock(&state_lock);
    errno = saved;
}

void rc_state_arm(void)
{
    int saved = errno;
    if (forked_child()) {
        errno = saved;
        return;
    }
    pthread_mutex_lock(&state_lock);
    /* The first registration; and in pass-through each one (a new group). */
    if (!atomic_exchange(&armed, true) || rc_state_get() != RC_STATE_ACTIVE)
        publish();
    pthread_mutex_unlock(&state_lock);
    errno = saved;
}

void rc_state_remove(void)
{
    if (my_pid == 0 || my_pid != (long)getpid())
        return; /* none written, or a forked child's exit: not its file */
    int saved = errno;
    char path[PATH_MAX];
    if (rc_state_path(path, sizeof path, secure_getenv("XDG_RUNTIME_DIR"), (unsigned)geteuid(),
                      my_pid, false))
        unlink(path);
    errno = saved;
}
