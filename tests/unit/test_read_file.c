/*
 * test_read_file.c - io/read_file.c: the reader of RECONSUME_CONFIG's file.
 * Its messages, its bound, and that a FIFO is refused without blocking
 * (issue 13, item 1: alarm() bounds the test should it block).
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

#include "io/read_file.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rc_read_file_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    static const char *const names[] = {"f", "fifo"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

static const char *path(const char *name)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void reads_a_file_whole(void **state)
{
    (void)state;
    FILE *f = fopen(path("f"), "w");
    assert_non_null(f);
    fputs("RECONSUME_MAX_RETRIES=3\n", f);
    fclose(f);
    char *text, err[256];
    size_t len;
    assert_int_equal(rc_read_file(path("f"), 1024, &text, &len, err, sizeof err), 0);
    assert_int_equal(len, 24);
    assert_string_equal(text, "RECONSUME_MAX_RETRIES=3\n");
    free(text);

    assert_int_equal(rc_read_file(path("f"), 10, &text, &len, err, sizeof err), -1);
    assert_string_equal(err, "file is 24 bytes; expected at most 10");
    assert_null(text);
}

static void refuses_what_is_not_a_regular_file(void **state)
{
    (void)state;
    char *text, err[256];
    size_t len;
    assert_int_equal(rc_read_file("/nonexistent/rc.conf", 1024, &text, &len, err, sizeof err),
                     -1);
    assert_string_equal(err, "cannot open: No such file or directory");
    assert_int_equal(rc_read_file(dir, 1024, &text, &len, err, sizeof err), -1);
    assert_string_equal(err, "not a regular file");
    assert_int_equal(rc_read_file("/dev/zero", 1024, &text, &len, err, sizeof err), -1);
    assert_string_equal(err, "not a regular file");

    /* A FIFO with no writer: a plain open(2) would wait here for ever. */
    assert_int_equal(mkfifo(path("fifo"), 0600), 0);
    alarm(10);
    assert_int_equal(rc_read_file(path("fifo"), 1024, &text, &len, err, sizeof err), -1);
    alarm(0);
    assert_string_equal(err, "not a regular file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_file_whole),
        cmocka_unit_test(refuses_what_is_not_a_regular_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
