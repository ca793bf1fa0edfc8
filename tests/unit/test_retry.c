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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
