/*
 * test_util.c - the small helpers with one home (util/): percent coding,
 * signal names, strict integers, the printable echo, the error formatter,
 * the pause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "util/grow.h"
#include "util/pause.h"
#include "util/percent.h"
#include "util/scan.h"
#include "util/signal_name.h"

static void percent_round_trips_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        char esc[3];
        unsigned char back = 0;
        rc_percent_put(esc, (unsigned char)c);
        assert_int_equal(esc[0], '%');
        assert_true(rc_percent_take(esc, 3, &back));
        assert_int_equal(back, c);
    }
    char e[3];
    rc_percent_put(e, 0xab);
    assert_memory_equal(e, "%AB", 3); /* upper-case, as records are written */
}

static void percent_take_refuses_what_is_not_an_escape(void **state)
{
    (void)state;
    unsigned char b = 7;
    assert_false(rc_percent_take("%4", 2, &b));   /* cut short */
    assert_false(rc_percent_take("%G0", 3, &b));  /* not hex */
    assert_false(rc_percent_take("x41", 3, &b));  /* no '%' */
    assert_int_equal(b, 7);
    assert_true(rc_percent_take("%7f", 3, &b));   /* lower case is read */
    assert_int_equal(b, 0x7f);
    assert_int_equal(rc_hex_value('f'), 15);
    assert_int_equal(rc_hex_value('g'), -1);
}

static void signal_names_both_ways(void **state)
{
    (void)state;
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        const char *name = rc_signal_name(sigs[i]);
        assert_non_null(name);
        assert_int_equal(rc_signal_by_name(name, strlen(name)), sigs[i]);
    }
    assert_null(rc_signal_name(SIGTERM));
    assert_int_equal(rc_signal_by_name("sigsegv", 7), SIGSEGV);
    assert_int_equal(rc_signal_by_name("SIGSEGVX", 8), 0);
    assert_int_equal(rc_signal_by_name("SIGSEG", 6), 0);
}

static void strict_integers(void **state)
{
    (void)state;
    long v = 42;
    assert_true(rc_scan_long("-12", 3, -100, 100, &v));
    assert_int_equal(v, -12);
    assert_false(rc_scan_long("+1", 2, 0, 9, &v));
    assert_false(rc_scan_long(" 1", 2, 0, 9, &v));
    assert_false(rc_scan_long("10", 2, 0, 9, &v));
    assert_false(rc_scan_long("99999999999999999999", 20, 0, 9, &v));
    assert_false(rc_scan_long("", 0, 0, 9, &v));
    assert_int_equal(v, -12);
    /* A span: the byte after it is not read. */
    assert_true(rc_scan_long("7x", 1, 0, 9, &v));
    assert_int_equal(v, 7);
}

static void echo_and_error_line(void **state)
{
    (void)state;
    char buf[64], err[32];
    rc_scan_echo("a\nb\x1b", 4, buf, sizeof buf);
    assert_string_equal(buf, "a\\x0ab\\x1b");
    assert_int_equal(rc_errf(err, sizeof err, "%s=%d", "X", 3), -1);
    assert_string_equal(err, "X=3");
}

static void grow_doubles_and_refuses_overflow(void **state)
{
    (void)state;
    void *v = NULL;
    size_t cap = 0;
    assert_true(rc_grow(&v, &cap, 0, sizeof(int), 4));
    assert_int_equal(cap, 4);
    assert_true(rc_grow(&v, &cap, 3, sizeof(int), 4)); /* room left: unchanged */
    assert_int_equal(cap, 4);
    assert_true(rc_grow(&v, &cap, 4, sizeof(int), 4));
    assert_int_equal(cap, 8);
    ((int *)v)[7] = 7;                                  /* the room is there */
    void *before = v;
    size_t huge = SIZE_MAX / 2 + 1;                     /* doubling would wrap */
    assert_false(rc_grow(&v, &huge, SIZE_MAX / 2 + 1, 1, 4));
    assert_ptr_equal(v, before);
    assert_int_equal(huge, SIZE_MAX / 2 + 1);
    cap = SIZE_MAX / 16;                                /* the bytes would wrap */
    assert_false(rc_grow(&v, &cap, SIZE_MAX / 16, 16, 4));
    assert_int_equal(cap, SIZE_MAX / 16);
    free(v);
}

static void pause_waits_at_least_that_long(void **state)
{
    (void)state;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    rc_pause_ms(20);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    assert_true(ms >= 20);
    rc_pause_ms(0);
    rc_pause_ms(-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percent_round_trips_every_byte),
        cmocka_unit_test(percent_take_refuses_what_is_not_an_escape),
        cmocka_unit_test(signal_names_both_ways),
        cmocka_unit_test(strict_integers),
        cmocka_unit_test(echo_and_error_line),
        cmocka_unit_test(grow_doubles_and_refuses_overflow),
        cmocka_unit_test(pause_waits_at_least_that_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
