/*
 * test_retry.c - the retry cap, as a table: every outcome, every catch
 * setting that matters, attempts just below, at and above the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policy/config.h"
#include "policy/outcome.h"
#include "policy/decide.h"

static void classify_statuses(void **state)
{
    (void)state;
    assert_int_equal(rc_outcome_of_status(0), RC_OUT_SUCCESS);
    assert_int_equal(rc_outcome_of_status(1), RC_OUT_RECONSUME);
    assert_int_equal(rc_outcome_of_status(-1), RC_OUT_BAD_STATUS);
    assert_int_equal(rc_outcome_of_status(2), RC_OUT_BAD_STATUS);
    assert_int_equal(rc_outcome_of_status(7), RC_OUT_BAD_STATUS);
    assert_int_equal(rc_outcome_of_status(INT32_MIN), RC_OUT_BAD_STATUS);
    assert_int_equal(rc_outcome_of_status(INT32_MAX), RC_OUT_BAD_STATUS);
    assert_string_equal(rc_outcome_name(RC_OUT_SUCCESS), "success");
    assert_string_equal(rc_outcome_name(RC_OUT_RECONSUME), "reconsume");
    assert_string_equal(rc_outcome_name(RC_OUT_BAD_STATUS), "bad_status");
    assert_string_equal(rc_outcome_name(RC_OUT_EXCEPTION), "exception");
    assert_string_equal(rc_outcome_name(RC_OUT_SIGNAL), "signal");
    assert_string_equal(rc_outcome_name(RC_OUT_COUNT), "unknown");
}

static void success_always_passes(void **state)
{
    (void)state;
    for (int a = 1; a < 40; a++)
        for (unsigned mask = 0; mask <= RC_CATCH_ALL; mask++)
            assert_int_equal(rc_retry_decide(RC_OUT_SUCCESS, a, 3, mask), RC_PASS);
}

/* Failures that count toward the cap: retried until attempt 1 + N, then diverted. */
static void cap_for_counted_failures(void **state)
{
    (void)state;
    const enum rc_outcome counted[] = {RC_OUT_RECONSUME, RC_OUT_BAD_STATUS, RC_OUT_EXCEPTION};
    const int caps[] = {0, 1, 3, 16, 1000};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < sizeof caps / sizeof *caps; j++) {
            int n = caps[j];
            for (int a = 1; a <= n + 3; a++) {
                enum rc_verdict want = a >= n + 1 ? RC_DIVERT : RC_RETRY;
                assert_int_equal(rc_retry_decide(counted[i], a, n, RC_CATCH_ALL), want);
            }
        }
    }
}

static void status_not_caught_passes_through(void **state)
{
    (void)state;
    unsigned mask = RC_CATCH_EXCEPTION | RC_CATCH_SIGNAL;
    for (int a = 1; a < 30; a++) {
        assert_int_equal(rc_retry_decide(RC_OUT_RECONSUME, a, 3, mask), RC_PASS);
        assert_int_equal(rc_retry_decide(RC_OUT_BAD_STATUS, a, 3, mask), RC_PASS);
    }
    /* An exception that was caught is still capped, whatever the status setting. */
    assert_int_equal(rc_retry_decide(RC_OUT_EXCEPTION, 1, 3, RC_CATCH_EXCEPTION), RC_RETRY);
    assert_int_equal(rc_retry_decide(RC_OUT_EXCEPTION, 4, 3, RC_CATCH_EXCEPTION), RC_DIVERT);
}

static void signal_diverts_at_once(void **state)
{
    (void)state;
    for (int a = 1; a < 5; a++)
        for (int n = 0; n < 20; n++)
            assert_int_equal(rc_retry_decide(RC_OUT_SIGNAL, a, n, RC_CATCH_SIGNAL), RC_DIVERT);
}

static void unknown_outcome_is_never_an_ack(void **state)
{
    (void)state;
    assert_int_equal(rc_retry_decide(RC_OUT_COUNT, 1, 0, RC_CATCH_ALL), RC_RETRY);
    assert_int_equal(rc_retry_decide((enum rc_outcome)42, 99, 0, 0), RC_RETRY);
    assert_string_equal(rc_verdict_name(RC_PASS), "pass");
    assert_string_equal(rc_verdict_name(RC_RETRY), "retry");
    assert_string_equal(rc_verdict_name(RC_DIVERT), "divert");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify_statuses),
        cmocka_unit_test(success_always_passes),
        cmocka_unit_test(cap_for_counted_failures),
        cmocka_unit_test(status_not_caught_passes_through),
        cmocka_unit_test(signal_diverts_at_once),
        cmocka_unit_test(unknown_outcome_is_never_an_ack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
