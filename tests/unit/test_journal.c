/*
 * test_journal.c - crash-loop detection: real crashes of child processes,
 * hand-written journals of dead pids (valid, torn, garbage, truncated), a
 * reused pid, live processes left alone, counts accumulating across opens,
 * forget, slot exhaustion, fork, and a hostile crashes file.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state/journal.h"

/* Far above any pid_max (at most 2^22): kill() says ESRCH. */
#define DEAD_PID 4194400

#define FILE_LEN ((size_t)RC_JOURNAL_SLOT_SIZE * (RC_JOURNAL_SLOTS + 1))

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rc_journal_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct rc_journal *open_ok(void)
{
    struct rc_journal *j;
    char err[512];
    if (rc_journal_open(dir, &j, err, sizeof err) != 0)
        fail_msg("open: %s", err);
    return j;
}

static bool exists(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static char *read_text(const char *name)
{
    static char buf[65536];
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void write_bytes(const char *name, const void *b, size_t n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* A journal image of pid, with no slot in flight. */
static unsigned char *image(long pid, uint64_t ticks)
{
    unsigned char *b = calloc(1, FILE_LEN);
    struct rc_journal_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, RC_JOURNAL_MAGIC, 8);
    h.version = RC_JOURNAL_VERSION;
    h.slot_size = RC_JOURNAL_SLOT_SIZE;
    h.nslots = RC_JOURNAL_SLOTS;
    h.pid = pid;
    h.start_ticks = ticks;
    memcpy(b, &h, sizeof h);
    return b;
}

static struct rc_journal_slot *slot_of(unsigned char *b, int i)
{
    return (struct rc_journal_slot *)(b + RC_JOURNAL_SLOT_SIZE * (size_t)(i + 1));
}

static void put(unsigned char *b, int i, const char *group, const char *id, uint32_t state)
{
    struct rc_journal_slot *s = slot_of(b, i);
    memset(s, 0, sizeof *s);
    s->state = state;
    s->seq = 7;
    s->glen = (uint16_t)strlen(group);
    s->ilen = (uint16_t)strlen(id);
    memcpy(s->key, group, s->glen);
    memcpy(s->key + s->glen, id, s->ilen);
    s->check = rc_journal_check(s->seq, s->glen, s->ilen, s->key);
}

/* A child that opens the journal, enters a message and dies without a word. */
static void crash_child(const char *group, const char *id)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rc_journal *j;
        char err[256];
        if (rc_journal_open(dir, &j, err, sizeof err) != 0)
            _exit(3);
        int a = rc_journal_enter(j, group, "done-before");
        rc_journal_leave(j, a);
        if (rc_journal_enter(j, group, id) < 0)
            _exit(4);
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void clean_run(void **state)
{
    (void)state;
    struct rc_journal *j = open_ok();
    char own[64];
    snprintf(own, sizeof own, "inflight.%ld", (long)getpid());
    assert_true(exists(own));
    assert_true(exists("lock"));
    struct stat st;
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, own);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, FILE_LEN);
    assert_int_equal(st.st_mode & 0777, 0600);
    int s = rc_journal_enter(j, "G", "M1");
    assert_true(s >= 0);
    assert_int_equal(rc_journal_enter(j, "G", "M2"), s); /* one slot per thread */
    rc_journal_leave(j, s);
    rc_journal_leave(j, -1);
    rc_journal_leave(NULL, 3);
    assert_int_equal(rc_journal_crashes(j, "G", "M1"), 0);
    assert_int_equal(rc_journal_known(j), 0);
    assert_int_equal(rc_journal_recovered(j), 0);
    assert_int_equal(rc_journal_forget(j, "G", "M1"), 0);
    rc_journal_close(j);
    assert_false(exists(own));
    assert_false(exists("crashes"));
    /* NULL journal: everything is a no-op. */
    assert_int_equal(rc_journal_enter(NULL, "G", "M"), -1);
    assert_int_equal(rc_journal_crashes(NULL, "G", "M"), 0);
    rc_journal_close(NULL);
}

static void real_crashes_accumulate(void **state)
{
    (void)state;
    for (int round = 1; round <= 3; round++) {
        crash_child("G", "POISON");
        struct rc_journal *j = open_ok();
        assert_int_equal(rc_journal_recovered(j), 1);
        assert_int_equal(rc_journal_crashes(j, "G", "POISON"), round);
        assert_int_equal(rc_journal_crashes(j, "G", "done-before"), 0);
        assert_int_equal(rc_journal_crashes(j, "H", "POISON"), 0);
        assert_int_equal(rc_journal_known(j), 1);
        rc_journal_close(j);
    }
    /* Nothing dead left: the dead files were deleted. */
    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "POISON"), 3);
    rc_journal_close(j);
    const char *t = read_text("crashes");
    assert_non_null(t);
    assert_true(strncmp(t, "reconsume-crashes 1\n3 ", 22) == 0);
    assert_non_null(strstr(t, " G POISON\n"));
}

static void forget(void **state)
{
    (void)state;
    crash_child("G", "A");
    crash_child("G", "B");
    crash_child("G", "A");
    struct rc_journal *j = open_ok();
    /* Each child's open counted the one before it; this open, the last one. */
    assert_int_equal(rc_journal_recovered(j), 1);
    assert_int_equal(rc_journal_crashes(j, "G", "A"), 2);
    assert_int_equal(rc_journal_crashes(j, "G", "B"), 1);
    assert_int_equal(rc_journal_forget(j, "G", "A"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "A"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "B"), 1);
    assert_int_equal(rc_journal_forget(j, "G", "A"), 0); /* twice: harmless */
    assert_int_equal(rc_journal_forget(j, "G", "nope"), 0);
    rc_journal_close(j);
    assert_null(strstr(read_text("crashes"), " G A\n"));
    j = open_ok();
    assert_int_equal(rc_journal_crashes(j, "G", "A"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "B"), 1);
    rc_journal_close(j);
}

static void dead_pid_torn_and_garbage_slots(void **state)
{
    (void)state;
    unsigned char *b = image(DEAD_PID, 12345);
    put(b, 0, "G", "GOOD1", RC_SLOT_INFLIGHT);
    put(b, 1, "G", "TORN", RC_SLOT_WRITING);            /* died while writing */
    put(b, 2, "G", "LEFT", RC_SLOT_EMPTY);              /* left: not in flight */
    put(b, 3, "G", "BADSUM", RC_SLOT_INFLIGHT);
    slot_of(b, 3)->key[2] ^= 1;                          /* a byte changed after the sum */
    put(b, 4, "G", "BADLEN", RC_SLOT_INFLIGHT);
    slot_of(b, 4)->glen = 200;
    put(b, 5, "G", "BADSTATE", 77);
    put(b, 255, "Group with spaces\n%", "GOOD2", RC_SLOT_INFLIGHT);
    memset(slot_of(b, 100), 0xA5, RC_JOURNAL_SLOT_SIZE); /* pure garbage */
    char name[64];
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID);
    write_bytes(name, b, FILE_LEN);
    free(b);
    /* Names that are not journals are left alone. */
    write_bytes("inflight.0123", "x", 1);
    write_bytes("inflight.x", "x", 1);
    write_bytes("inflight.99999999999", "x", 1);

    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 2);
    assert_int_equal(rc_journal_crashes(j, "G", "GOOD1"), 1);
    assert_int_equal(rc_journal_crashes(j, "Group with spaces\n%", "GOOD2"), 1);
    assert_int_equal(rc_journal_crashes(j, "G", "TORN"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "BADSUM"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "BADSTATE"), 0);
    assert_false(exists(name));
    assert_true(exists("inflight.0123"));
    assert_true(exists("inflight.x"));
    assert_true(exists("inflight.99999999999"));
    rc_journal_close(j);
    /* The encoded group survives the round trip through the crashes file. */
    assert_non_null(strstr(read_text("crashes"), " Group%20with%20spaces%0A%25 GOOD2\n"));
    j = open_ok();
    assert_int_equal(rc_journal_crashes(j, "Group with spaces\n%", "GOOD2"), 1);
    rc_journal_close(j);
}

static void truncated_and_garbage_files(void **state)
{
    (void)state;
    char name[64];
    /* Cut in the middle of slot 1: slot 0 counts, slot 1 does not. */
    unsigned char *b = image(DEAD_PID, 0);
    put(b, 0, "G", "KEPT", RC_SLOT_INFLIGHT);
    put(b, 1, "G", "CUT", RC_SLOT_INFLIGHT);
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID);
    write_bytes(name, b, RC_JOURNAL_SLOT_SIZE * 2 + 40);
    /* Shorter than a header. */
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 1);
    write_bytes(name, b, 20);
    /* Empty. */
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 2);
    write_bytes(name, b, 0);
    /* A header of another version, a pid that is not the file's, random bytes. */
    put(b, 0, "G", "NOPE", RC_SLOT_INFLIGHT);
    ((struct rc_journal_header *)b)->version = 2;
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 3);
    write_bytes(name, b, FILE_LEN);
    ((struct rc_journal_header *)b)->version = RC_JOURNAL_VERSION;
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 4);
    write_bytes(name, b, FILE_LEN); /* header says DEAD_PID */
    unsigned long long x = 99;
    for (size_t i = 0; i < FILE_LEN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        b[i] = (unsigned char)x;
    }
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 5);
    write_bytes(name, b, FILE_LEN);
    /* Much bigger than a journal: read up to its size only. */
    unsigned char *big = calloc(1, FILE_LEN * 3);
    unsigned char *img = image(DEAD_PID + 6, 0);
    put(img, 2, "G", "BIG", RC_SLOT_INFLIGHT);
    memcpy(big, img, FILE_LEN);
    snprintf(name, sizeof name, "inflight.%d", DEAD_PID + 6);
    write_bytes(name, big, FILE_LEN * 3);
    free(big);
    free(img);
    free(b);

    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 2);
    assert_int_equal(rc_journal_crashes(j, "G", "KEPT"), 1);
    assert_int_equal(rc_journal_crashes(j, "G", "BIG"), 1);
    assert_int_equal(rc_journal_crashes(j, "G", "CUT"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "NOPE"), 0);
    for (int i = 0; i <= 6; i++) {
        snprintf(name, sizeof name, "inflight.%d", DEAD_PID + i);
        assert_false(exists(name)); /* dead, whatever was inside */
    }
    rc_journal_close(j);
}

static void live_process_left_alone_and_reused_pid(void **state)
{
    (void)state;
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rc_journal *j;
        char err[256], c = 0;
        if (rc_journal_open(dir, &j, err, sizeof err) != 0)
            _exit(3);
        rc_journal_enter(j, "G", "LIVE");
        if (write(go[1], "x", 1) != 1)
            _exit(4);
        if (read(done[0], &c, 1) < 0)
            _exit(5);
        _exit(0); /* without close: its file stays, with LIVE in flight */
    }
    char c;
    assert_int_equal(read(go[0], &c, 1), 1);
    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 0); /* the child is alive */
    rc_journal_close(j);
    char name[64];
    snprintf(name, sizeof name, "inflight.%ld", (long)pid);
    assert_true(exists(name));

    /* A file of the parent's pid (alive) with another start time: the pid was reused. */
    unsigned char *b = image(getppid(), 1);
    put(b, 0, "G", "REUSED", RC_SLOT_INFLIGHT);
    char pname[64];
    snprintf(pname, sizeof pname, "inflight.%ld", (long)getppid());
    write_bytes(pname, b, FILE_LEN);
    /* The same with start time unknown (0): the live process is given the benefit of the doubt. */
    free(b);

    assert_int_equal(write(done[1], "x", 1), 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 2);
    assert_int_equal(rc_journal_crashes(j, "G", "LIVE"), 1); /* it exited inside a callback */
    assert_int_equal(rc_journal_crashes(j, "G", "REUSED"), 1);
    rc_journal_close(j);
    assert_false(exists(name));
    assert_false(exists(pname));

    b = image(getppid(), 0);
    put(b, 0, "G", "UNSURE", RC_SLOT_INFLIGHT);
    write_bytes(pname, b, FILE_LEN);
    free(b);
    j = open_ok();
    assert_int_equal(rc_journal_recovered(j), 0);
    rc_journal_close(j);
    assert_true(exists(pname));
    close(go[0]), close(go[1]), close(done[0]), close(done[1]);
}

static void own_pid_file_is_an_earlier_image(void **state)
{
    (void)state;
    unsigned char *b = image(getpid(), 0);
    put(b, 0, "G", "BEFORE_EXEC", RC_SLOT_INFLIGHT);
    char name[64];
    snprintf(name, sizeof name, "inflight.%ld", (long)getpid());
    write_bytes(name, b, FILE_LEN);
    free(b);
    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_crashes(j, "G", "BEFORE_EXEC"), 1);
    assert_true(exists(name)); /* our own, new */
    rc_journal_close(j);
}

static void hostile_crashes_file(void **state)
{
    (void)state;
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    char text[2048];
    snprintf(text, sizeof text,
             "reconsume-crashes 1\n"
             "2 %s G OK1\n"
             "0 %s G ZERO\n"
             "-1 %s G NEG\n"
             "3 %s G\n"
             "3 %s G A B\n"
             "3  %s G TWO_SPACES\n"
             "99999999999 %s G HUGE\n"
             "4 %s G %%zz\n"
             "4 %s G %%4\n"
             "5 %s - EMPTYGROUP\n"
             "6 %s G%%20X %%41%%42\n"
             "1 0 G ANCIENT\n"
             "7 %s G OK2\n"
             "2 %s G OK1\n"
             "9 %s G CUT_NO_NEWLINE",
             now, now, now, now, now, now, now, now, now, now, now, now, now, now);
    write_bytes("crashes", text, strlen(text));
    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_crashes(j, "G", "OK1"), 4); /* duplicates merged */
    assert_int_equal(rc_journal_crashes(j, "G", "OK2"), 7);
    assert_int_equal(rc_journal_crashes(j, "", "EMPTYGROUP"), 5);
    assert_int_equal(rc_journal_crashes(j, "G X", "AB"), 6);
    assert_int_equal(rc_journal_crashes(j, "G", "ZERO"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "HUGE"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "ANCIENT"), 0);
    assert_int_equal(rc_journal_crashes(j, "G", "CUT_NO_NEWLINE"), 0);
    assert_int_equal(rc_journal_known(j), 4);
    rc_journal_close(j);
    /* The ancient entry made open rewrite the file, in canonical form. */
    const char *t = read_text("crashes");
    assert_null(strstr(t, "ANCIENT"));
    assert_null(strstr(t, "ZERO"));
    assert_non_null(strstr(t, " G%20X AB\n"));

    /* Without the header line the file is not trusted at all; random bytes neither. */
    write_bytes("crashes", "2 1 G X\n", 8);
    j = open_ok();
    assert_int_equal(rc_journal_known(j), 0);
    rc_journal_close(j);
    unsigned char junk[4096];
    unsigned long long x = 7;
    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        junk[i] = (unsigned char)(i % 7 == 0 ? '\n' : x);
    }
    memcpy(junk, "reconsume-crashes 1\n", 20);
    write_bytes("crashes", junk, sizeof junk);
    j = open_ok();
    rc_journal_close(j);

    /* A symlink planted as the crashes file is not followed. */
    char p[256];
    snprintf(p, sizeof p, "%s/crashes", dir);
    unlink(p);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    crash_child("G", "S");
    j = open_ok();
    assert_int_equal(rc_journal_crashes(j, "G", "S"), 1);
    rc_journal_close(j);
}

static void long_keys(void **state)
{
    (void)state;
    char group[300], id[300];
    memset(group, 'g', sizeof group - 1);
    group[sizeof group - 1] = '\0';
    memset(id, 'i', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    crash_child(group, id);
    struct rc_journal *j = open_ok();
    assert_int_equal(rc_journal_crashes(j, group, id), 1);
    rc_journal_close(j);
    j = open_ok(); /* and again, read back from the crashes file */
    assert_int_equal(rc_journal_crashes(j, group, id), 1);
    assert_int_equal(rc_journal_crashes(j, NULL, NULL), 0);
    rc_journal_close(j);
}

struct claim {
    struct rc_journal *j;
    int slot;
};

static void *claim_one(void *arg)
{
    struct claim *c = arg;
    c->slot = rc_journal_enter(c->j, "G", "T");
    rc_journal_leave(c->j, c->slot);
    return NULL;
}

static void slots_run_out(void **state)
{
    (void)state;
    struct rc_journal *j = open_ok();
    static struct claim c[RC_JOURNAL_SLOTS + 2];
    bool seen[RC_JOURNAL_SLOTS] = {0};
    for (int i = 0; i < RC_JOURNAL_SLOTS + 2; i++) {
        c[i].j = j;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, claim_one, &c[i]), 0);
        pthread_join(t, NULL);
        if (i < RC_JOURNAL_SLOTS) {
            assert_in_range(c[i].slot, 0, RC_JOURNAL_SLOTS - 1);
            assert_false(seen[c[i].slot]);
            seen[c[i].slot] = true;
        } else {
            assert_int_equal(c[i].slot, -1); /* not journalled, nothing else */
        }
    }
    rc_journal_close(j);
}

static void fork_child_does_not_write(void **state)
{
    (void)state;
    struct rc_journal *j = open_ok();
    int s = rc_journal_enter(j, "G", "PARENT");
    assert_true(s >= 0);
    char own[64], p[256];
    snprintf(own, sizeof own, "inflight.%ld", (long)getpid());
    snprintf(p, sizeof p, "%s/%s", dir, own);
    pid_t pid = fork();
    if (pid == 0) {
        rc_journal_atfork_child(j);
        int rc = rc_journal_enter(j, "G", "CHILD");
        rc_journal_leave(j, s);
        rc_journal_close(j); /* must not delete the parent's file */
        _exit(rc == -1 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(exists(own));
    /* The parent's slot is untouched: still PARENT, in flight. */
    unsigned char *b = malloc(FILE_LEN);
    int fd = open(p, O_RDONLY);
    assert_int_equal(read(fd, b, FILE_LEN), (ssize_t)FILE_LEN);
    close(fd);
    struct rc_journal_slot *sl = slot_of(b, s);
    assert_int_equal(sl->state, RC_SLOT_INFLIGHT);
    assert_memory_equal(sl->key, "GPARENT", 7);
    free(b);
    rc_journal_leave(j, s);
    rc_journal_close(j);
}

static void bad_dir(void **state)
{
    (void)state;
    struct rc_journal *j;
    char err[512];
    assert_int_equal(rc_journal_open("/nonexistent/x/y", &j, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_JOURNAL='/nonexistent/x/y': cannot create the "
                             "directory: No such file or directory");
    assert_null(j);
    assert_int_equal(rc_journal_open("", &j, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_JOURNAL='': empty value; unset it for no journal");
    char p[256];
    snprintf(p, sizeof p, "%s/file", dir);
    write_bytes("file", "x", 1);
    assert_int_equal(rc_journal_open(p, &j, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open the directory: Not a directory"));
    /* A missing directory is created, 0700. */
    snprintf(p, sizeof p, "%s/new", dir);
    assert_int_equal(rc_journal_open(p, &j, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    rc_journal_close(j);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(clean_run),
        T(real_crashes_accumulate),
        T(forget),
        T(dead_pid_torn_and_garbage_slots),
        T(truncated_and_garbage_files),
        T(live_process_left_alone_and_reused_pid),
        T(own_pid_file_is_an_earlier_image),
        T(hostile_crashes_file),
        T(long_keys),
        T(slots_run_out),
        T(fork_child_does_not_write),
        T(bad_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
