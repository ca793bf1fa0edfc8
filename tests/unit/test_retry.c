/*
 * test_retry.c - what a retry copy carries: its delay level
 * (policy/retry_delay.c) and the carried count (policy/retry_copy.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy/retry_copy.h"
#include "policy/retry_delay.h"

/* The broker's own schedule for a send-back: 3 + the retries so far, at most 18. */
static void delay_level_follows_the_broker(void **state)
{
    (void)state;
    assert_int_equal(rc_retry_delay_level(0), 3);
    assert_int_equal(rc_retry_delay_level(1), 4);
    assert_int_equal(rc_retry_delay_level(14), 17);
    assert_int_equal(rc_retry_delay_level(15), 18);
    assert_int_equal(rc_retry_delay_level(16), 18);
    assert_int_equal(rc_retry_delay_level(1000000), 18);
    assert_int_equal(rc_retry_delay_level(-5), 3);
}

/* The copy's delay property: the broker's level without a schedule; with one,
 * the level at or above its delay, or the exact timer. */
static void delay_for_a_schedule(void **state)
{
    (void)state;
    struct rc_backoff none = {0}, b;
    char err[256];
    struct rc_retry_delay d;
    rc_retry_delay_for(&none, false, 1, &d);
    assert_string_equal(d.property, "DELAY");
    assert_string_equal(d.value, "3");
    assert_int_equal(d.ms, 10000);
    rc_retry_delay_for(&none, true, 2, &d);       /* the timer needs a schedule */
    assert_string_equal(d.value, "4");
    assert_int_equal(rc_backoff_parse("RECONSUME_BACKOFF", "1s,5001ms,3d", &b, err, sizeof err), -1);
    assert_int_equal(rc_backoff_parse("RECONSUME_BACKOFF", "1s,5001ms,3h", &b, err, sizeof err), 0);
    rc_retry_delay_for(&b, false, 1, &d);
    assert_string_equal(d.value, "1");
    rc_retry_delay_for(&b, false, 2, &d);         /* 5001 ms: the 10 s level, at or above */
    assert_string_equal(d.value, "3");
    assert_int_equal(d.ms, 10000);
    rc_retry_delay_for(&b, false, 9, &d);         /* 3 h, the last repeating: the highest */
    assert_string_equal(d.value, "18");
    rc_retry_delay_for(&b, true, 2, &d);
    assert_string_equal(d.property, "TIMER_DELAY_MS");
    assert_string_equal(d.value, "5001");
    assert_int_equal(d.level, 0);
    rc_retry_delay_for(&b, true, 0, &d);          /* below 1 counts as the first */
    assert_string_equal(d.value, "1000");
}

/* From the wire: a decimal count, else 0; bounded. */
static void carried_count_is_parsed_strictly(void **state)
{
    (void)state;
    assert_int_equal(rc_retry_carried(NULL), 0);
    assert_int_equal(rc_retry_carried(""), 0);
    assert_int_equal(rc_retry_carried("3"), 3);
    assert_int_equal(rc_retry_carried("017"), 17);
    assert_int_equal(rc_retry_carried("-1"), 0);
    assert_int_equal(rc_retry_carried("3x"), 0);
    assert_int_equal(rc_retry_carried(" 3"), 0);
    assert_int_equal(rc_retry_carried("99999999999999999999999"), RC_RETRY_CARRIED_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delay_level_follows_the_broker),
        cmocka_unit_test(carried_count_is_parsed_strictly),
        cmocka_unit_test(delay_for_a_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
