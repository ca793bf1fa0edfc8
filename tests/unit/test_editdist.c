/*
 * test_editdist.c - util/editdist.c: distances (with swaps), the nearest
 * word, the bound on length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/editdist.h"

static void distances(void **state)
{
    (void)state;
    static const struct { const char *a, *b; size_t d; } cases[] = {
        {"", "", 0},
        {"", "abc", 3},
        {"abc", "", 3},
        {"abc", "abc", 0},
        {"kitten", "sitting", 3},
        {"MAXRETRIES", "MAX_RETRIES", 1}, /* insertion */
        {"MAX__RETRIES", "MAX_RETRIES", 1}, /* deletion */
        {"MAX_RETRIEZ", "MAX_RETRIES", 1}, /* substitution */
        {"MAX_RETIRES", "MAX_RETRIES", 1}, /* swap of two neighbours */
        {"ab", "ba", 1},
        {"ca", "abc", 3}, /* OSA: a swapped pair is not edited again */
        {"max_retries", "MAX_RETRIES", 10}, /* case-sensitive */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(rc_edit_distance(cases[i].a, cases[i].b), cases[i].d);
        assert_int_equal(rc_edit_distance(cases[i].b, cases[i].a), cases[i].d);
    }
}

static void long_words(void **state)
{
    (void)state;
    char a[RC_EDIT_MAX + 2], b[RC_EDIT_MAX + 1];
    memset(a, 'x', RC_EDIT_MAX);
    a[RC_EDIT_MAX] = '\0';
    memset(b, 'x', RC_EDIT_MAX - 1);
    b[RC_EDIT_MAX - 1] = 'y';
    b[RC_EDIT_MAX] = '\0';
    assert_int_equal(rc_edit_distance(a, b), 1); /* RC_EDIT_MAX bytes: compared */
    a[RC_EDIT_MAX] = 'x';
    a[RC_EDIT_MAX + 1] = '\0';
    assert_int_equal(rc_edit_distance(a, b), SIZE_MAX);
}

static void nearest(void **state)
{
    (void)state;
    static const char *const words[] = {"RECONSUME_MAX_RETRIES", "RECONSUME_MAX_CRASHES",
                                        "RECONSUME_LOG", "RECONSUME_LOG_LEVEL"};
    size_t d;
    assert_string_equal(rc_edit_nearest("RECONSUME_MAXRETRIES", words, 4, 3, &d),
                        "RECONSUME_MAX_RETRIES");
    assert_int_equal(d, 1);
    assert_string_equal(rc_edit_nearest("RECONSUME_LOGLEVEL", words, 4, 3, &d),
                        "RECONSUME_LOG_LEVEL");
    /* Ties go to the first. */
    static const char *const tie[] = {"ab", "ba"};
    assert_string_equal(rc_edit_nearest("aa", tie, 2, 3, &d), "ab");
    /* Nothing near enough. */
    assert_null(rc_edit_nearest("RECONSUME_XYZZY", words, 4, 3, &d));
    assert_int_equal(d, rc_edit_distance("RECONSUME_XYZZY", "RECONSUME_LOG"));
    assert_null(rc_edit_nearest("x", words, 0, 3, &d));
    assert_int_equal(d, SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distances),
        cmocka_unit_test(long_words),
        cmocka_unit_test(nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
