/*
 * test_spool.c - unit tests for sink/spool.c (Maildir-style durable spool).
 *
 * Each test gets a fresh temporary directory (setup/teardown). The tests run
 * as root here, so failures are provoked without relying on permissions:
 * symlinks, mode bits that the spool checks itself, a regular file in the
 * path, and RLIMIT_FSIZE.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/record.h"
#include "sink/spool.h"

struct fixture {
    char root[64];      /* the temporary directory */
    char spool[128];    /* root/spool */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/rc_spool_test.XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    snprintf(f->spool, sizeof f->spool, "%s/spool", f->root);
    *state = f;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc;
}

static void sample(struct rc_record *r, const char *msg_id, const char *body, size_t len)
{
    memset(r, 0, sizeof *r);
    r->outcome = "reconsume";
    r->status = 1;
    r->attempts = 17;
    r->max_retries = 16;
    r->group = "GID";
    r->mode = "clustering";
    r->topic = "T";
    r->msg_id = msg_id;
    r->host = "h";
    r->pid = (long)getpid();
    r->diverted_at_ms = 1700000000000LL;
    r->body = body;
    r->body_len = len;
}

/* Entries of dir (not . and ..), optionally collected into names[]. */
static size_t count_entries(const char *dir, char (*names)[256], size_t max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (names && n < max)
            snprintf(names[n], 256, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static size_t count_sub(const struct fixture *f, const char *sub)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", f->spool, sub);
    return count_entries(p, NULL, 0);
}

static void assert_mode(const char *path, mode_t want, int dir)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(!!S_ISDIR(st.st_mode), dir);
    if (!dir)
        assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, want);
}

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

static void check_stored(const struct fixture *f, const char *name, const struct rc_record *want)
{
    char path[512];
    snprintf(path, sizeof path, "%s/new/%s", f->spool, name);
    assert_mode(path, 0600, 0);
    size_t len;
    char *buf = read_file(path, &len);
    struct rc_record got;
    char err[256];
    if (rc_record_parse(buf, len, &got, err, sizeof err) != 0)
        fail_msg("%s: %s", name, err);
    assert_string_equal(got.msg_id, want->msg_id);
    assert_string_equal(got.outcome, want->outcome);
    assert_int_equal(got.body_len, want->body_len);
    if (want->body_len)
        assert_memory_equal(got.body, want->body, want->body_len);
    rc_record_free(&got);
    free(buf);
}

/* ---- prepare --------------------------------------------------------------- */

static void test_prepare_creates_layout(void **state)
{
    struct fixture *f = *state;
    char deep[256], err[256] = "";
    snprintf(deep, sizeof deep, "%s/a/b//c/", f->root);
    umask(022);
    assert_int_equal(rc_spool_prepare(deep, err, sizeof err), 0);
    char p[300];
    snprintf(p, sizeof p, "%s/a", f->root);
    assert_mode(p, 0700, 1);
    snprintf(p, sizeof p, "%s/a/b/c", f->root);
    assert_mode(p, 0700, 1);
    snprintf(p, sizeof p, "%s/a/b/c/tmp", f->root);
    assert_mode(p, 0700, 1);
    snprintf(p, sizeof p, "%s/a/b/c/new", f->root);
    assert_mode(p, 0700, 1);
    /* idempotent */
    assert_int_equal(rc_spool_prepare(deep, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/a/b/c", f->root);
    assert_int_equal(rc_spool_prepare(p, err, sizeof err), 0);
}

/* tmp/ files older than 36 hours are dead writes: prepare removes them, and
 * nothing else (new/, fresh tmp/ files, a directory in tmp/). */
static void test_prepare_sweeps_stale_tmp(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", p[400];
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    const char *names[] = {"tmp/old.rec", "tmp/fresh.rec", "new/old.rec"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", f->spool, names[i]);
        FILE *fp = fopen(p, "w");
        assert_non_null(fp);
        fclose(fp);
    }
    snprintf(p, sizeof p, "%s/tmp/olddir", f->spool);
    assert_int_equal(mkdir(p, 0700), 0);
    time_t old = time(NULL) - 37 * 3600;
    struct timespec ts[2] = {{old, 0}, {old, 0}};
    const char *aged[] = {"tmp/old.rec", "new/old.rec", "tmp/olddir"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", f->spool, aged[i]);
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    }
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    struct stat st;
    snprintf(p, sizeof p, "%s/tmp/old.rec", f->spool);
    assert_int_equal(stat(p, &st), -1);
    snprintf(p, sizeof p, "%s/tmp/fresh.rec", f->spool);
    assert_int_equal(stat(p, &st), 0);
    snprintf(p, sizeof p, "%s/new/old.rec", f->spool);
    assert_int_equal(stat(p, &st), 0);
    snprintf(p, sizeof p, "%s/tmp/olddir", f->spool);
    assert_int_equal(stat(p, &st), 0);
}

static void test_prepare_refuses_symlink(void **state)
{
    struct fixture *f = *state;
    char real[256], err[256] = "";
    snprintf(real, sizeof real, "%s/real", f->root);
    assert_int_equal(rc_spool_prepare(real, err, sizeof err), 0);
    assert_int_equal(symlink(real, f->spool), 0);

    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), -1);
    assert_non_null(strstr(err, "symlink"));
    assert_non_null(strstr(err, f->spool));
    /* a trailing slash must not make the link be followed */
    char slash[200];
    snprintf(slash, sizeof slash, "%s/", f->spool);
    err[0] = '\0';
    assert_int_equal(rc_spool_prepare(slash, err, sizeof err), -1);
    assert_non_null(strstr(err, "symlink"));

    struct rc_record r;
    sample(&r, "M1", "x", 1);
    err[0] = '\0';
    assert_int_equal(rc_spool_write(f->spool, &r, NULL, 0, err, sizeof err), -ELOOP);
    assert_non_null(strstr(err, "symlink"));
    err[0] = '\0';
    assert_int_equal(rc_spool_write(slash, &r, NULL, 0, err, sizeof err), -ELOOP);
    assert_non_null(strstr(err, "symlink"));
    char newdir[300];
    snprintf(newdir, sizeof newdir, "%s/new", real);
    assert_int_equal(count_entries(newdir, NULL, 0), 0);
}

static void test_prepare_refuses_symlinked_subdir(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", p[300], elsewhere[300];
    assert_int_equal(mkdir(f->spool, 0700), 0);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", f->root);
    assert_int_equal(mkdir(elsewhere, 0700), 0);
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_int_equal(symlink(elsewhere, p), 0);
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), -1);
    assert_non_null(strstr(err, "symlink"));
    assert_non_null(strstr(err, "/new"));

    struct rc_record r;
    sample(&r, "M1", "x", 1);
    err[0] = '\0';
    assert_int_equal(rc_spool_write(f->spool, &r, NULL, 0, err, sizeof err), -ELOOP);
    assert_non_null(strstr(err, "symlink"));
    assert_int_equal(count_entries(elsewhere, NULL, 0), 0);
    assert_int_equal(count_sub(f, "tmp"), 0);
}

static void test_prepare_refuses_writable_by_others(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    struct rc_record r;
    sample(&r, "M1", "x", 1);

    static const mode_t modes[] = { 0777, 0770, 0702, 01777 };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(f->spool, modes[i]), 0);
        err[0] = '\0';
        assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), -1);
        assert_non_null(strstr(err, "writable by group/others"));
        err[0] = '\0';
        assert_int_equal(rc_spool_write(f->spool, &r, NULL, 0, err, sizeof err), -EPERM);
        assert_non_null(strstr(err, "writable by group/others"));
    }
    assert_int_equal(count_sub(f, "new"), 0);

    /* 0755 is fine (others may read, not write) */
    assert_int_equal(chmod(f->spool, 0755), 0);
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);

    /* a world-writable new/ is refused as well */
    char p[300];
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_int_equal(chmod(p, 0777), 0);
    err[0] = '\0';
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), -1);
    assert_non_null(strstr(err, "/new is writable by group/others"));
    assert_int_equal(rc_spool_write(f->spool, &r, NULL, 0, err, sizeof err), -EPERM);
}

static void test_path_under_regular_file(void **state)
{
    struct fixture *f = *state;
    char file[256], dir[300], err[256] = "";
    snprintf(file, sizeof file, "%s/file", f->root);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);

    snprintf(dir, sizeof dir, "%s/spool", file);
    assert_int_equal(rc_spool_prepare(dir, err, sizeof err), -1);
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, "not a directory"));

    struct rc_record r;
    sample(&r, "M1", "x", 1);
    err[0] = '\0';
    assert_int_equal(rc_spool_write(dir, &r, NULL, 0, err, sizeof err), -ENOTDIR);
    assert_non_null(strstr(err, dir));
    /* the spool path itself a regular file */
    err[0] = '\0';
    assert_int_equal(rc_spool_prepare(file, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_int_equal(rc_spool_write(file, &r, NULL, 0, err, sizeof err), -ENOTDIR);
    assert_true(err[0] != '\0');
}

static void test_prepare_bad_args(void **state)
{
    (void)state;
    char err[128] = "";
    assert_int_equal(rc_spool_prepare("", err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(rc_spool_prepare(NULL, err, sizeof err), -1);
    struct rc_record r;
    sample(&r, "M", "", 0);
    assert_int_equal(rc_spool_write("", &r, NULL, 0, err, sizeof err), -EINVAL);
    assert_int_equal(rc_spool_write("/tmp", NULL, NULL, 0, err, sizeof err), -EINVAL);
}

/* ---- write ----------------------------------------------------------------- */

static void test_write_lands_in_new(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", name[256] = "";
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    char body[256];
    for (int i = 0; i < 256; i++)
        body[i] = (char)i;
    struct rc_record r;
    sample(&r, "0A0B0C0D00002A9F0000000000000001", body, sizeof body);
    int rc = rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err);
    if (rc != 0)
        fail_msg("write: %d %s", rc, err);

    /* <unix-ms>.<pid>_<seq>.<safe msgId>.rec */
    regex_t re;
    assert_int_equal(regcomp(&re, "^([0-9]{13})\\.([0-9]+)_([0-9]+)\\.([A-Za-z0-9._-]+)\\.rec$",
                             REG_EXTENDED), 0);
    regmatch_t m[5];
    assert_int_equal(regexec(&re, name, 5, m, 0), 0);
    regfree(&re);
    assert_int_equal(strtol(name + m[2].rm_so, NULL, 10), getpid());
    assert_memory_equal(name + m[4].rm_so, "0A0B0C0D00002A9F0000000000000001", 32);
    long long ms = strtoll(name, NULL, 10);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    assert_true(ms <= now && ms > now - 60000);

    assert_int_equal(count_sub(f, "new"), 1);
    assert_int_equal(count_sub(f, "tmp"), 0);
    check_stored(f, name, &r);

    char p[300];
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_mode(p, 0700, 1);
    snprintf(p, sizeof p, "%s/tmp", f->spool);
    assert_mode(p, 0700, 1);
    assert_mode(f->spool, 0700, 1);

    /* a second write: a different name, sorting after the first */
    char name2[256];
    assert_int_equal(rc_spool_write(f->spool, &r, name2, sizeof name2, err, sizeof err), 0);
    assert_string_not_equal(name, name2);
    assert_int_equal(count_sub(f, "new"), 2);
}

static void test_write_creates_missing_spool(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", name[256];
    char deep[256];
    snprintf(deep, sizeof deep, "%s/x/y", f->root);
    struct rc_record r;
    sample(&r, "M", "", 0);
    assert_int_equal(rc_spool_write(deep, &r, name, sizeof name, err, sizeof err), 0);
    char p[600];
    snprintf(p, sizeof p, "%s/new/%s", deep, name);
    assert_mode(p, 0600, 0);

    /* new/ vanishes after prepare: the next write makes it again */
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_int_equal(rmdir(p), 0);
    assert_int_equal(rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err), 0);
    check_stored(f, name, &r);
}

static void test_write_hostile_msg_id(void **state)
{
    struct fixture *f = *state;
    char err[256] = "", name[256];
    static const char *const ids[] = { "../../../etc/passwd", "..", ".", "/", "", "a/../b",
                                       "\n\r\x1b\xff", NULL };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        struct rc_record r;
        sample(&r, ids[i], "b", 1);
        int rc = rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err);
        if (rc != 0)
            fail_msg("write: %d %s", rc, err);
        assert_null(strchr(name, '/'));
        char p[512];
        snprintf(p, sizeof p, "%s/new/%s", f->spool, name);
        assert_mode(p, 0600, 0);
    }
    assert_int_equal(count_sub(f, "new"), sizeof ids / sizeof ids[0]);
    assert_int_equal(count_entries(f->root, NULL, 0), 1); /* only spool/ */

    /* a long id is cut */
    char longid[300];
    memset(longid, 'q', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    struct rc_record r;
    sample(&r, longid, "", 0);
    assert_int_equal(rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err), 0);
    assert_true(strlen(name) < 128);

    /* a short name buffer is cut, not overrun */
    char small[8];
    assert_int_equal(rc_spool_write(f->spool, &r, small, sizeof small, err, sizeof err), 0);
    assert_int_equal(strlen(small), 7);
}

static void test_write_big_body(void **state)
{
    struct fixture *f = *state;
    size_t n = 4u << 20;
    char *body = malloc(n);
    assert_non_null(body);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)(i * 7 + (i >> 13));
    struct rc_record r;
    sample(&r, "BIG", body, n);
    char err[256], name[256];
    assert_int_equal(rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err), 0);
    check_stored(f, name, &r);
    free(body);
}

/* RLIMIT_FSIZE makes write(2) fail with EFBIG; nothing may be left behind. */
static void test_write_efbig(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = { 1024, 1024 };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        static char body[16384];
        memset(body, 'x', sizeof body);
        struct rc_record r;
        sample(&r, "EFBIG", body, sizeof body);
        char name[256] = "";
        int rc = rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err);
        if (rc != -EFBIG) {
            fprintf(stderr, "child: rc=%d err=%s\n", rc, err);
            _exit(11);
        }
        if (!strstr(err, "File too large") || !strstr(err, "/tmp/"))
            _exit(12);
        if (name[0] != '\0')
            _exit(13);
        /* a small one still fits */
        sample(&r, "SMALL", "ok", 2);
        if (rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err) != 0)
            _exit(14);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(count_sub(f, "tmp"), 0);
    char names[4][256];
    char p[300];
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_int_equal(count_entries(p, names, 4), 1);
    assert_non_null(strstr(names[0], ".SMALL.rec"));
}

/* After fork the child's names carry its own pid. */
static void test_write_after_fork(void **state)
{
    struct fixture *f = *state;
    char err[256], name[256];
    struct rc_record r;
    sample(&r, "P", "", 0);
    assert_int_equal(rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char cname[256];
        if (rc_spool_write(f->spool, &r, cname, sizeof cname, err, sizeof err) != 0)
            _exit(1);
        char want[32];
        snprintf(want, sizeof want, ".%ld_", (long)getpid());
        _exit(strstr(cname, want) ? 0 : 2);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(rc_spool_write(f->spool, &r, name, sizeof name, err, sizeof err), 0);
    assert_int_equal(count_sub(f, "new"), 3);
}

#define NTHREADS 8
#define PER_THREAD 200

struct worker {
    const char *spool;
    int id;
    int failures;
    char names[PER_THREAD][128];
};

static void *writer(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[64], body[64], err[256];
        snprintf(id, sizeof id, "t%d-%d", w->id, i);
        int n = snprintf(body, sizeof body, "body of thread %d record %d", w->id, i);
        struct rc_record r;
        sample(&r, id, body, (size_t)n);
        if (rc_spool_write(w->spool, &r, w->names[i], sizeof w->names[i], err, sizeof err) != 0) {
            fprintf(stderr, "writer %d/%d: %s\n", w->id, i, err);
            w->failures++;
        }
    }
    return NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_concurrent_writers(void **state)
{
    struct fixture *f = *state;
    char err[256];
    assert_int_equal(rc_spool_prepare(f->spool, err, sizeof err), 0);
    static struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].spool = f->spool;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }

    enum { N = NTHREADS * PER_THREAD };
    static char names[N + 1][256];
    char p[300];
    snprintf(p, sizeof p, "%s/new", f->spool);
    assert_int_equal(count_entries(p, names, N + 1), N);
    assert_int_equal(count_sub(f, "tmp"), 0);
    qsort(names, N, sizeof names[0], cmp_name);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(names[i - 1], names[i]);

    /* every file is complete and is the record its writer reported */
    for (int t = 0; t < NTHREADS; t++) {
        for (int i = 0; i < PER_THREAD; i++) {
            char id[64], body[64];
            snprintf(id, sizeof id, "t%d-%d", t, i);
            int n = snprintf(body, sizeof body, "body of thread %d record %d", t, i);
            struct rc_record r;
            sample(&r, id, body, (size_t)n);
            check_stored(f, w[t].names[i], &r);
        }
    }
}

int main(void)
{
    const struct CMUnitTest prepare[] = {
        cmocka_unit_test_setup_teardown(test_prepare_creates_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_sweeps_stale_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_symlinked_subdir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_writable_by_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_under_regular_file, setup, teardown),
        cmocka_unit_test(test_prepare_bad_args),
    };
    const struct CMUnitTest write[] = {
        cmocka_unit_test_setup_teardown(test_write_lands_in_new, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_creates_missing_spool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_hostile_msg_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_big_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_efbig, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_after_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("spool prepare", prepare, NULL, NULL);
    failed += cmocka_run_group_tests_name("spool write", write, NULL, NULL);
    return failed ? 1 : 0;
}
