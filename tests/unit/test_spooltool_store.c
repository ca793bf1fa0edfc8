/*
 * test_spooltool_store.c - reading a spool with damaged, truncated and
 * foreign files (each named with a clear reason, the rest still read), the
 * replayed/ move, the ledger (a torn last line is not a confirmation), and
 * the filters; and a spool whose subdirectories are symlinks (issue 13
 * item 5): nothing outside it is read, moved or removed; a record without
 * the headers every record has is damaged (item 6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/record.h"
#include "tools/spool/store.h"

static char dir[256];

static void put(const char *sub, const char *name, const char *data, size_t n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static size_t good(char *buf, size_t cap, const char *id, const char *group, long long ms,
                   const char *outcome)
{
    struct rc_record r;
    memset(&r, 0, sizeof r);
    r.outcome = outcome;
    r.group = group;
    r.topic = "Orders";
    r.msg_id = id;
    r.attempts = 3;
    r.diverted_at_ms = ms;
    r.exc_type = strcmp(outcome, "exception") == 0 ? "std::bad_alloc" : NULL;
    r.body = "payload";
    r.body_len = 7;
    return rc_record_encode(&r, buf, cap);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rc-spooltool-%ld", (long)getpid());
    char p[300];
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/new", dir);
    mkdir(p, 0700);
    char buf[2048];
    size_t n = good(buf, sizeof buf, "A", "billing", 1700000000000LL, "exception");
    put("new", "1700000000000.1_0.A.rec", buf, n);
    n = good(buf, sizeof buf, "B", "orders", 1700000100000LL, "reconsume");
    put("new", "1700000100000.1_1.B.rec", buf, n);
    put("new", "1700000200000.1_2.TRUNC.rec", buf, n - 3);          /* body cut short */
    put("new", "1700000200001.1_3.HEAD.rec", buf, 40);               /* cut in the headers */
    put("new", "1700000200002.1_4.EMPTY.rec", "", 0);
    put("new", "1700000200003.1_5.BADVER.rec", "Reconsume-Record: 9\nBody-Length: 0\n\n", 36);
    put("new", "1700000200004.1_6.NUL.rec", "\0\0\0\n\n", 5);
    put("new", "notes.txt", "not a record", 12);                       /* not ours: ignored */
    put("new", ".1700000200005.1_7.hidden.rec", buf, n);                /* dot file: ignored */
    snprintf(p, sizeof p, "%s/new/1700000200006.1_8.DIR.rec", dir);
    mkdir(p, 0700);                                                    /* not a regular file */
    snprintf(p, sizeof p, "%s/new/1700000200007.1_9.LINK.rec", dir);
    symlink("/etc/passwd", p);                                         /* never followed */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const struct ts_rec *by_id(const struct ts_set *s, const char *sub)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->v[i].id, sub))
            return &s->v[i];
    return NULL;
}

static void damaged_named_rest_read(void **state)
{
    (void)state;
    struct ts_set s = {0};
    char err[512];
    assert_int_equal(ts_spool_load(dir, false, &s, err, sizeof err), 0);
    assert_int_equal(s.n, 9);
    assert_true(by_id(&s, ".A.rec")->ok);
    assert_true(by_id(&s, ".B.rec")->ok);
    assert_string_equal(by_id(&s, ".A.rec")->r.msg_id, "A");
    static const char *const bad[][2] = {
        {"TRUNC", "damaged record: "}, {"HEAD", "damaged record: "},
        {"EMPTY", "empty file"}, {"BADVER", "damaged record: "},
        {"NUL", "damaged record: "}, {"DIR", "not a regular file"}, {"LINK", "cannot open: "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const struct ts_rec *e = by_id(&s, bad[i][0]);
        assert_non_null(e);
        assert_false(e->ok);
        assert_non_null(strstr(e->err, bad[i][1]));
        assert_null(strchr(e->err, '\n'));
    }
    assert_null(by_id(&s, "notes"));
    assert_null(by_id(&s, "hidden"));
    /* Sorted: damaged (time unknown) by id, good ones by time. */
    struct ts_opts o;
    memset(&o, 0, sizeof o);
    assert_true(ts_match(&o, by_id(&s, "TRUNC")));
    o.group = "bill*";
    assert_false(ts_match(&o, by_id(&s, "TRUNC"))); /* a filter hides the unknown */
    assert_true(ts_match(&o, by_id(&s, ".A.rec")));
    assert_false(ts_match(&o, by_id(&s, ".B.rec")));
    memset(&o, 0, sizeof o);
    o.reason = "exception:std::*";
    assert_true(ts_match(&o, by_id(&s, ".A.rec")));
    o.reason = "reconsume";
    assert_true(ts_match(&o, by_id(&s, ".B.rec")));
    memset(&o, 0, sizeof o);
    o.has_since = true;
    o.since_ms = 1700000050000LL;
    assert_false(ts_match(&o, by_id(&s, ".A.rec")));
    assert_true(ts_match(&o, by_id(&s, ".B.rec")));
    char reason[100];
    ts_reason(&by_id(&s, ".A.rec")->r, reason, sizeof reason);
    assert_string_equal(reason, "exception:std::bad_alloc");
    ts_set_free(&s);
}

static void missing_spool_is_an_error(void **state)
{
    (void)state;
    struct ts_set s = {0};
    char err[512];
    assert_int_equal(ts_spool_load("/nonexistent/rc", false, &s, err, sizeof err), -1);
    assert_string_equal(err, "cannot read the spool directory /nonexistent/rc/new: No such file or directory");
}

static void replayed_move_and_ledger(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(ts_spool_mark_replayed(dir, "1700000000000.1_0.A.rec", err, sizeof err), 0);
    struct ts_set s = {0};
    assert_int_equal(ts_spool_load(dir, true, &s, err, sizeof err), 0);
    assert_true(by_id(&s, ".A.rec")->replayed);
    assert_false(by_id(&s, ".B.rec")->replayed);
    assert_int_equal(ts_spool_remove(dir, by_id(&s, ".A.rec"), err, sizeof err), 0);
    ts_set_free(&s);
    assert_int_equal(ts_spool_mark_replayed(dir, "1700000000000.1_0.A.rec", err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));

    char ledger[300];
    snprintf(ledger, sizeof ledger, "%s/ledger", dir);
    struct ts_ledger l;
    assert_int_equal(ts_ledger_load(ledger, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(ts_ledger_append(ledger, "b:0:1", err, sizeof err), 0);
    assert_int_equal(ts_ledger_append(ledger, "b:0:2", err, sizeof err), 0);
    FILE *f = fopen(ledger, "a");
    fputs("b:0:3", f); /* torn by a crash */
    fclose(f);
    assert_int_equal(ts_ledger_load(ledger, &l, err, sizeof err), 0);
    assert_int_equal(l.n, 2);
    assert_true(ts_ledger_has(&l, "b:0:2"));
    assert_false(ts_ledger_has(&l, "b:0:3"));
    ts_ledger_free(&l);
}

static bool exists(const char *a, const char *b)
{
    char p[800];
    snprintf(p, sizeof p, "%s/%s", a, b);
    return access(p, F_OK) == 0;
}

static void symlinked_subdirectories_refused(void **state)
{
    (void)state;
    char base[300], outside[320], spool[320], p[700], err[512], buf[2048];
    snprintf(base, sizeof base, "%s/links", dir);
    snprintf(outside, sizeof outside, "%s/outside", base);
    snprintf(spool, sizeof spool, "%s/spool", base);
    assert_int_equal(mkdir(base, 0700), 0);
    assert_int_equal(mkdir(outside, 0700), 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    snprintf(p, sizeof p, "%s/new", spool);
    assert_int_equal(mkdir(p, 0700), 0);
    size_t n = good(buf, sizeof buf, "V", "g", 1700000000000LL, "reconsume");
    snprintf(p, sizeof p, "%s/1700000000000.1_0.VICT.rec", outside);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(buf, 1, n, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/new/1700000000001.1_1.N.rec", spool);
    f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(buf, 1, n, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/replayed", spool);
    assert_int_equal(symlink(outside, p), 0);

    /* Loading refuses the spool, with or without its replayed records. */
    struct ts_set s = {0};
    for (int with = 0; with < 2; with++) {
        assert_int_equal(ts_spool_load(spool, with, &s, err, sizeof err), -1);
        assert_non_null(strstr(err, "/spool/replayed is a symlink; refused"));
        assert_int_equal(s.n, 0);
    }
    assert_int_equal(ts_spool_check(spool, err, sizeof err), -1);
    /* Removing or marking never goes through the link. */
    struct ts_rec e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "1700000000000.1_0.VICT.rec");
    e.replayed = true;
    assert_int_equal(ts_spool_remove(spool, &e, err, sizeof err), -1);
    assert_non_null(strstr(err, "is a symlink; refused"));
    assert_true(exists(outside, "1700000000000.1_0.VICT.rec"));
    assert_int_equal(ts_spool_mark_replayed(spool, "1700000000001.1_1.N.rec", err, sizeof err), -1);
    assert_non_null(strstr(err, "is a symlink; refused"));
    assert_true(exists(spool, "new/1700000000001.1_1.N.rec"));
    assert_false(exists(outside, "1700000000001.1_1.N.rec"));
    /* An id is a name in the directory, never a path. */
    e.replayed = false;
    snprintf(e.id, sizeof e.id, "../../outside/1700000000000.1_0.VICT.rec");
    assert_int_equal(ts_spool_remove(spool, &e, err, sizeof err), -1);
    assert_true(exists(outside, "1700000000000.1_0.VICT.rec"));

    /* A symlinked new/, and a symlinked spool directory (the shim's rule). */
    assert_int_equal(unlink(p), 0);
    snprintf(p, sizeof p, "%s/new", spool);
    char moved[700];
    snprintf(moved, sizeof moved, "%s/real-new", base);
    assert_int_equal(rename(p, moved), 0);
    assert_int_equal(symlink(moved, p), 0);
    assert_int_equal(ts_spool_load(spool, false, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "/spool/new is a symlink; refused"));
    snprintf(e.id, sizeof e.id, "1700000000001.1_1.N.rec");
    assert_int_equal(ts_spool_remove(spool, &e, err, sizeof err), -1);
    assert_true(exists(moved, "1700000000001.1_1.N.rec"));
    snprintf(p, sizeof p, "%s/alias", base);
    assert_int_equal(symlink(spool, p), 0);
    strcat(p, "/");
    assert_int_equal(ts_spool_load(p, false, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "/alias is a symlink; refused"));
    ts_set_free(&s);
}

/* Issue 13 item 6: a record without headers that every record has is
 * damaged (named), yet kept parsed so that show can say what it does have. */
static void missing_headers_are_damage(void **state)
{
    (void)state;
    static const char hollow[] = "Reconsume-Record: 1\r\nProperty-X1: a\r\nBody-Length: 2\r\n\r\nhi";
    struct ts_rec e;
    memset(&e, 0, sizeof e);
    ts_rec_parse(&e, hollow, sizeof hollow - 1);
    assert_false(e.ok);
    assert_true(e.parsed);
    assert_non_null(strstr(e.err, "damaged record: no Outcome, Status, Attempts, "));
    assert_non_null(strstr(e.err, "Diverted-At-Ms headers"));
    assert_int_equal(e.head_len, sizeof hollow - 1 - 2);
    assert_memory_equal(e.head, hollow, e.head_len);
    struct ts_opts o;
    memset(&o, 0, sizeof o);
    o.group = "*";
    assert_false(ts_match(&o, &e)); /* a filter never picks a damaged record */
    rc_record_free(&e.r);
    free(e.head);

    char buf[2048];
    size_t n = good(buf, sizeof buf, "W", "g", 1700000000000LL, "reconsume");
    memset(&e, 0, sizeof e);
    ts_rec_parse(&e, buf, n);
    assert_true(e.ok && e.parsed);
    rc_record_free(&e.r);
    free(e.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(damaged_named_rest_read),
        cmocka_unit_test(missing_spool_is_an_error),
        cmocka_unit_test(replayed_move_and_ledger),
        cmocka_unit_test(symlinked_subdirectories_refused),
        cmocka_unit_test(missing_headers_are_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
