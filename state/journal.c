/*
 * journal.c - the in-flight journal (see journal.h); the crash counts it
 * keeps are in crashes.c.
 *
 * Every name in the directory is opened relative to its descriptor with
 * O_NOFOLLOW, so a symlink planted there is refused, not followed.
 */
#include "state/journal.h"
#include "state/crashes.h"
#include "io/proc_stat.h"
#include "io/read_file.h"
#include "util/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct rc_journal_slot) == RC_JOURNAL_SLOT_SIZE, "slot layout");
_Static_assert(sizeof(struct rc_journal_header) <= RC_JOURNAL_SLOT_SIZE, "header layout");

#define MAP_LEN ((size_t)RC_JOURNAL_SLOT_SIZE * (RC_JOURNAL_SLOTS + 1))
#define DEAD_MAX 1024 /* dead files handled per open; the rest wait for the next */

static atomic_uint journal_ids = 1;

/* This thread's slot: claimed for journal tl_id. */
static _Thread_local unsigned tl_id __attribute__((tls_model("initial-exec")));
static _Thread_local int tl_slot __attribute__((tls_model("initial-exec")));

struct rc_journal {
    int dirfd;
    unsigned id;           /* tells this journal's thread slot claims from another's */
    pid_t pid;
    unsigned char *map;    /* NULL after fork or on close */
    atomic_uint next_slot;
    struct rc_crash_table t;         /* the crash counts: immutable after open but for .forgotten */
    int recovered;
    pthread_mutex_t lock;  /* forget */
    char dir[PATH_MAX];
    char own[64];          /* "inflight.<pid>" */
};

static const struct rc_crash *lookup(const struct rc_journal *j, const struct rc_crash_key *k)
{
    return rc_crash_find((struct rc_crash_table *)&j->t, k);
}

/* ---- processes ----------------------------------------------------------- */

/* Is the process that wrote a file with this pid and start time gone? */
static bool gone(pid_t pid, uint64_t ticks)
{
    if (pid == getpid())
        return true; /* an earlier image of this pid (exec, or reuse) */
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    bool zombie;
    uint64_t now = rc_proc_start_ticks(pid, &zombie);
    if (zombie)
        return true;
    return ticks != 0 && now != 0 && now != ticks;
}

/* "inflight.<pid>" with a plain decimal pid (no sign, no leading zero). */
static pid_t inflight_pid(const char *name)
{
    static const char prefix[] = "inflight.";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *d = name + sizeof prefix - 1;
    if (d[0] < '1' || d[0] > '9')
        return 0;
    long long v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || v > INT_MAX / 10)
            return 0;
        v = v * 10 + (*d - '0');
    }
    return v <= INT_MAX ? (pid_t)v : 0;
}

/*
 * Read a dead process's file: its valid in-flight slots go into l with
 * count 1 each. *ticks gets the header's start time (0 if not trusted).
 * Returns the slots counted.
 */
static int read_inflight(int dirfd, const char *name, pid_t pid, struct rc_crash_table *l, int64_t now,
                         bool count, uint64_t *ticks)
{
    *ticks = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    size_t size = st.st_size > (off_t)MAP_LEN ? MAP_LEN : (size_t)st.st_size, got = 0;
    unsigned char *b = calloc(1, MAP_LEN);
    if (!b) {
        close(fd);
        return 0;
    }
    got = rc_pread_full(fd, b, size, 0);
    close(fd);
    int found = 0;
    struct rc_journal_header h;
    memcpy(&h, b, sizeof h);
    if (got < RC_JOURNAL_SLOT_SIZE || memcmp(h.magic, RC_JOURNAL_MAGIC, 8) != 0 ||
        h.version != RC_JOURNAL_VERSION || h.slot_size != RC_JOURNAL_SLOT_SIZE ||
        h.nslots != RC_JOURNAL_SLOTS || h.pid != (int64_t)pid)
        goto out;
    *ticks = h.start_ticks;
    if (!count)
        goto out;
    size_t whole = got / RC_JOURNAL_SLOT_SIZE - 1; /* a cut-off last slot is not read */
    for (size_t i = 0; i < whole && i < RC_JOURNAL_SLOTS; i++) {
        struct rc_journal_slot s;
        memcpy(&s, b + RC_JOURNAL_SLOT_SIZE * (i + 1), sizeof s);
        if (s.state != RC_SLOT_INFLIGHT || s.ilen > RC_JOURNAL_ID_MAX ||
            (size_t)s.glen + s.ilen > RC_JOURNAL_KEY_MAX ||
            s.check != rc_journal_check(s.seq, s.glen, s.ilen, s.key))
            continue;
        struct rc_crash_key k;
        memset(&k, 0, sizeof k);
        k.glen = s.glen;
        k.ilen = s.ilen;
        memcpy(k.b, s.key, (size_t)s.glen + s.ilen);
        if (rc_crash_add(l, &k, 1, now))
            found++;
    }
out:
    free(b);
    return found;
}

/* ---- open / close -------------------------------------------------------- */

static int lock_dir(int dirfd)
{
    int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd; /* closing it releases the lock */
}

/* Create and map this process's file. */
static int create_own(struct rc_journal *j, int64_t now)
{
    bool zombie;
    int fd = openat(j->dirfd, j->own, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)MAP_LEN) != 0) {
        close(fd);
        unlinkat(j->dirfd, j->own, 0);
        return -1;
    }
    void *m = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        unlinkat(j->dirfd, j->own, 0);
        return -1;
    }
    struct rc_journal_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, RC_JOURNAL_MAGIC, 8);
    h.version = RC_JOURNAL_VERSION;
    h.slot_size = RC_JOURNAL_SLOT_SIZE;
    h.nslots = RC_JOURNAL_SLOTS;
    h.pid = (int64_t)j->pid;
    h.start_ticks = rc_proc_start_ticks(j->pid, &zombie);
    h.opened_at = now;
    memcpy(m, &h, sizeof h);
    j->map = m;
    return 0;
}

int rc_journal_open(const char *dir, struct rc_journal **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!dir || dir[0] == '\0')
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='': empty value; unset it for no journal");
    struct rc_journal *j = calloc(1, sizeof *j);
    if (!j)
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': out of memory", dir);
    j->dirfd = -1;
    if (snprintf(j->dir, sizeof j->dir, "%s", dir) >= (int)sizeof j->dir) {
        free(j);
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': path too long", dir);
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        free(j);
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': cannot create the directory: %s", dir,
                   strerror(e));
    }
    j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dirfd < 0) {
        int e = errno;
        free(j);
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': cannot open the directory: %s", dir,
                   strerror(e));
    }
    j->pid = getpid();
    j->id = atomic_fetch_add(&journal_ids, 1);
    atomic_init(&j->next_slot, 0);
    pthread_mutex_init(&j->lock, NULL);
    snprintf(j->own, sizeof j->own, "inflight.%ld", (long)j->pid);

    int lockfd = lock_dir(j->dirfd);
    if (lockfd < 0) {
        int e = errno;
        rc_journal_close(j);
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': cannot lock %s/lock: %s", dir, dir,
                   strerror(e));
    }
    int64_t now = (int64_t)time(NULL);
    struct rc_crash_table l = {0};
    bool aged = false;
    rc_crashes_load(j->dirfd, &l, now, &aged);

    /* Dead processes' files: count their in-flight messages. */
    char (*dead)[64] = calloc(DEAD_MAX, sizeof *dead);
    size_t ndead = 0;
    DIR *d = NULL;
    int dfd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0 && !(d = fdopendir(dfd)))
        close(dfd);
    struct dirent *e;
    while (dead && d && ndead < DEAD_MAX && (e = readdir(d)) != NULL) {
        pid_t pid = inflight_pid(e->d_name);
        if (pid <= 0 || strlen(e->d_name) >= sizeof *dead)
            continue;
        uint64_t ticks;
        read_inflight(j->dirfd, e->d_name, pid, &l, now, false, &ticks);
        if (!gone(pid, ticks))
            continue;
        j->recovered += read_inflight(j->dirfd, e->d_name, pid, &l, now, true, &ticks);
        /* Fits: the length was checked above (memcpy, so -O0 builds do not
         * warn about a truncation that cannot happen). */
        memcpy(dead[ndead++], e->d_name, strlen(e->d_name) + 1);
    }
    if (d)
        closedir(d);
    /* Counts first, then the files: dying in between counts twice, never zero times. */
    if (j->recovered > 0 || aged)
        rc_crashes_save(j->dirfd, l.c, l.n);
    for (size_t i = 0; i < ndead; i++)
        unlinkat(j->dirfd, dead[i], 0);
    free(dead);

    int rc = create_own(j, now);
    int create_errno = errno;
    close(lockfd);
    j->t = l;
    if (rc != 0) {
        rc_journal_close(j);
        return rc_errf(err, errlen, "RECONSUME_JOURNAL='%s': cannot create the journal file: %s",
                   dir, strerror(create_errno));
    }
    *out = j;
    return 0;
}

void rc_journal_close(struct rc_journal *j)
{
    if (!j)
        return;
    if (j->map) {
        munmap(j->map, MAP_LEN);
        j->map = NULL;
        if (j->pid == getpid())
            unlinkat(j->dirfd, j->own, 0);
    }
    if (j->dirfd >= 0)
        close(j->dirfd);
    pthread_mutex_destroy(&j->lock);
    rc_crash_table_free(&j->t);
    free(j);
}

void rc_journal_atfork_child(struct rc_journal *j)
{
    if (!j)
        return;
    if (j->map)
        munmap(j->map, MAP_LEN);
    j->map = NULL;
    pthread_mutex_init(&j->lock, NULL);
}

/* ---- the hot path --------------------------------------------------------- */

int rc_journal_enter(struct rc_journal *j, const char *group, const char *msg_id)
{
    if (!j || !j->map)
        return -1;
    if (tl_id != j->id) {
        unsigned s = atomic_fetch_add_explicit(&j->next_slot, 1, memory_order_relaxed);
        tl_slot = s < RC_JOURNAL_SLOTS ? (int)s : -1;
        tl_id = j->id;
    }
    int slot = tl_slot;
    if (slot < 0)
        return -1;
    struct rc_journal_slot *s =
        (struct rc_journal_slot *)(j->map + RC_JOURNAL_SLOT_SIZE * (size_t)(slot + 1));
    _Atomic uint32_t *state = (_Atomic uint32_t *)&s->state;
    struct rc_crash_key k;
    rc_crash_key_make(&k, group, msg_id);
    atomic_store_explicit(state, RC_SLOT_WRITING, memory_order_relaxed);
    /* Only the compiler could reorder these for a process that dies here. */
    atomic_signal_fence(memory_order_seq_cst);
    uint32_t seq = s->seq + 1;
    s->seq = seq;
    s->glen = k.glen;
    s->ilen = k.ilen;
    memcpy(s->key, k.b, sizeof s->key);
    s->check = rc_journal_check(seq, k.glen, k.ilen, k.b);
    atomic_store_explicit(state, RC_SLOT_INFLIGHT, memory_order_release);
    return slot;
}

void rc_journal_leave(struct rc_journal *j, int slot)
{
    if (!j || !j->map || slot < 0 || slot >= RC_JOURNAL_SLOTS)
        return;
    struct rc_journal_slot *s =
        (struct rc_journal_slot *)(j->map + RC_JOURNAL_SLOT_SIZE * (size_t)(slot + 1));
    atomic_store_explicit((_Atomic uint32_t *)&s->state, RC_SLOT_EMPTY, memory_order_release);
}

/* ---- counts -------------------------------------------------------------- */

int rc_journal_crashes(const struct rc_journal *j, const char *group, const char *msg_id)
{
    if (!j || j->t.n == 0)
        return 0;
    struct rc_crash_key k;
    rc_crash_key_make(&k, group, msg_id);
    const struct rc_crash *c = lookup(j, &k);
    if (!c || atomic_load_explicit(&c->forgotten, memory_order_relaxed))
        return 0;
    return c->count;
}

size_t rc_journal_known(const struct rc_journal *j)
{
    return j ? j->t.n : 0;
}

int rc_journal_recovered(const struct rc_journal *j)
{
    return j ? j->recovered : 0;
}

int rc_journal_forget(struct rc_journal *j, const char *group, const char *msg_id)
{
    if (!j || j->t.n == 0)
        return 0;
    struct rc_crash_key k;
    rc_crash_key_make(&k, group, msg_id);
    struct rc_crash *c = (struct rc_crash *)lookup(j, &k);
    if (!c || atomic_exchange(&c->forgotten, 1))
        return 0;
    /* The file may have changed since open (other processes): re-read it. */
    pthread_mutex_lock(&j->lock);
    int rc = -1;
    int lockfd = lock_dir(j->dirfd);
    if (lockfd >= 0) {
        struct rc_crash_table l = {0};
        bool aged = false;
        rc_crashes_load(j->dirfd, &l, (int64_t)time(NULL), &aged);
        struct rc_crash *e = rc_crash_find(&l, &k);
        if (e)
            atomic_store(&e->forgotten, 1);
        rc = e || aged ? rc_crashes_save(j->dirfd, l.c, l.n) : 0;
        rc_crash_table_free(&l);
        close(lockfd);
    }
    pthread_mutex_unlock(&j->lock);
    return rc;
}
